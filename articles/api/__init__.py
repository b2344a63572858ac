"""The read API at /api/v1/: what readers see, as JSON, for apps, static sites and partners."""
