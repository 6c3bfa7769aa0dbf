"""Foundations every room shares: settings, errors, time, the event bus and registries."""
