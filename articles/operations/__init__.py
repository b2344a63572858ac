"""Running the site: backup and restore, and the demo."""
