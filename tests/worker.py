"""The task worker, as tests run it."""

from django.core.management import call_command


def run_worker():
    """What `manage.py run_worker` does in production, until nothing is left to run."""
    call_command("run_worker", "--batch", verbosity=0)
