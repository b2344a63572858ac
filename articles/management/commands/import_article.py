from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles import workflow
from articles.importers import (
    MAX_STORY_BYTES,
    StoryFormatError,
    decode_story,
    parse_story,
    save_story,
)
from articles.workflow import Status


def read_story_file(path: Path) -> str:
    """Return the file's text, or raise StoryFormatError saying in one line what is wrong."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STORY_BYTES + 1)
    except OSError as error:
        raise StoryFormatError(error.strerror or str(error)) from None
    return decode_story(data)


class Command(BaseCommand):
    help = "Import stories from plain-text files in the story format (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument("--publish", action="store_true", help="Publish the stories at once.")
        parser.add_argument(
            "--update", action="store_true", help="Replace stories whose slug already exists."
        )

    def handle(self, *args, paths, publish, update, **options):
        stories = []
        for path in paths:
            try:
                stories.append(parse_story(read_story_file(path)))
            except StoryFormatError as error:
                raise CommandError(f"{path}: {error}") from None
        # One transaction: either every file is imported or none is.
        try:
            with transaction.atomic():
                articles = [save_story(story, update=update) for story in stories]
                for article in articles:
                    if publish and article.status != Status.PUBLISHED:
                        workflow.take("publish", article, by=None)
        except StoryFormatError as error:
            raise CommandError(str(error)) from None
        for article in articles:
            state = "published" if article.status == Status.PUBLISHED else "draft"
            self.stdout.write(f"{article.get_absolute_url()}  ({state}) {article.headline}")
