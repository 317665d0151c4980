"""The intake service: complaints in, case numbers out."""
