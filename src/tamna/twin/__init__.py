"""The digital twin: SUMO scenarios loaded and checked, their detectors turned into sensors, a libsumo runtime
that feeds readings through the ingest road and bus positions onto the event bus, and city builders.

Nothing here loads SUMO on import; libsumo and sumolib are imported inside the functions that run them.
"""
