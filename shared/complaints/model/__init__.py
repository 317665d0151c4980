"""The model: the complaint aggregate, its events and the tenants' rules, as plain Python with no I/O."""
