"""The benchmark harness: `make bench` (full) and a smoke run inside `make test`."""
