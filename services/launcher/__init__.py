"""Starts the whole set: the broker (embedded default), the relay and the four services."""
