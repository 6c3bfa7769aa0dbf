"""Public transport (BIS/BMS): GTFS import and validation, vehicle matching, arrival prediction, GTFS-Realtime
feeds, stop boards and operations KPIs. See ``docs/transit.md``."""
