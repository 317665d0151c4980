"""The qualification service: the clock and the handler's work after routing."""
