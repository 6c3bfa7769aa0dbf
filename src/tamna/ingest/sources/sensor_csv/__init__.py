"""Source adapter: sensor_csv."""
