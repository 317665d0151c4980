"""The webhook dispatcher and the subscriptions' routes (port 8007)."""
