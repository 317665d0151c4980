"""The web edge: the app factory, dependencies, authentication, problem details, limits and health."""
