"""Django's PostgreSQL backend, with a time limit on each request's waits for the server."""
