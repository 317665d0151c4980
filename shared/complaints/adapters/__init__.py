"""Adapters: the event store and its recorders, the hash chains, personal data, read models and Kafka."""
