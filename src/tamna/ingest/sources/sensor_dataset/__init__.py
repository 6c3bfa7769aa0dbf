"""Source adapter: sensor_dataset."""
