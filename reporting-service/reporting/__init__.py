"""The reporting service: projections of the event stream and the reports built on them."""
