"""Tamna: an open-source platform for a city's smart transportation and public-safety operations."""

__version__ = "0.1.0"
