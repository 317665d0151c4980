"""The outbox relay: the store's notification log, published to the broker."""
