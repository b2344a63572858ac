"""The task worker, as tests run it."""

from django.core.management import call_command


def run_worker():
    """What `manage.py db_worker` does in production, until nothing is left to run."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
