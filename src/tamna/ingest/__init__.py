"""Ingest: every input (files, HTTP, MQTT, the twin) takes one road — validate, dead-letter, store, publish."""
