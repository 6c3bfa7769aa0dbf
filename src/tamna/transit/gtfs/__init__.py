"""GTFS static: reading, validating (after the GTFS reference validator) and importing feeds."""
