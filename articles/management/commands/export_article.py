from django.core.management.base import BaseCommand, CommandError

from articles.editing.exporters import export_story
from articles.models import Article


class Command(BaseCommand):
    help = "Write a story in the plain-text story format to standard output."

    def add_arguments(self, parser):
        parser.add_argument("slug")

    def handle(self, *args, slug, **options):
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            raise CommandError(f"no article has the slug “{slug}”")
        self.stdout.write(export_story(article), ending="")
