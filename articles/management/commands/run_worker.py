from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from newsroom.tasks import requeue_abandoned


class Command(BaseCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker), after putting back in the queue "
        "the tasks that a worker which was killed left running."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument(
            "--abandoned-after",
            type=int,
            default=15,
            metavar="MINUTES",
            help="A task running this long was left by a killed worker (default 15).",
        )

    def handle(self, *args, batch, abandoned_after, **options):
        requeued = requeue_abandoned(timezone.now() - timedelta(minutes=abandoned_after))
        if requeued:
            self.stderr.write(f"Requeued {requeued} task(s) that a killed worker left running.")
        call_command("db_worker", "--no-startup-delay", *(["--batch"] if batch else []))
