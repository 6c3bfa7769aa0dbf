"""Arrival prediction: the schedule-plus-current-delay baseline, a model of segment running times and dwells
learned from history, and their evaluation by horizon."""
