"""Source adapter: geojson."""
