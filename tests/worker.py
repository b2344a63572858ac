"""The task worker, as tests run it."""

from unittest import mock

from django.core.management import call_command


def run_worker():
    """What `manage.py run_worker` does in production, until nothing is left to run.

    The worker's check of its database connection between tasks is left out, as Django's
    test client leaves it out between requests: inside a test's transaction the check closes
    the connection, and with it the transaction (on PostgreSQL).
    """
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("run_worker", "--batch", verbosity=0)
