from django.core.management.base import BaseCommand, CommandError

from articles.operations.demo import generate_articles
from articles.operations.progress import progress_bar


class Command(BaseCommand):
    help = "Add N published stories with every part (for scale tests and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("count", type=int)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, count, seed, **options):
        if count < 1 or count > 1_000_000:
            raise CommandError("count must be between 1 and 1,000,000")
        with progress_bar(self.stderr, total=count, unit="stories", description="Adding") as bar:
            made = generate_articles(count, seed=seed, advance=bar.update)
        self.stdout.write(f"Added {made:,} published stories.")
