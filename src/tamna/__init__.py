"""Tamna: an open-source platform for a city's smart transportation and public-safety operations."""

from tamna import native

__version__ = "0.1.0"

# before any signal module loads: the compiled hot path is used only where it matches its sources
native.install()
