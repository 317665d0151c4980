"""The routing service: which team handles a case."""
