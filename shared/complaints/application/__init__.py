"""The application layer: use cases that take the caller and a clock, and the one permission policy."""
