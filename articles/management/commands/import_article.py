from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from articles.editing.importers import import_story
from articles.editing.story_format import (
    MAX_STORY_BYTES,
    StoryFormatError,
    decode_story,
    parse_story,
)
from articles.moderation import workflow
from articles.moderation.quality import check_quality
from articles.moderation.workflow import Status
from articles.operations.progress import progress_bar

# Who the history names for a publication made with --publish and no --by.
IMPORTER = "Importer"


def read_story_file(path: Path) -> str:
    """Return the file's text, or raise StoryFormatError saying in one line what is wrong."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STORY_BYTES + 1)
    except OSError as error:
        raise StoryFormatError(error.strerror or str(error)) from None
    return decode_story(data)


def find_publisher(username: str):
    """Return the active user who may publish, or raise CommandError in one line."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--by: there is no user called “{username}”")
    if not (user.is_active and user.has_perm(workflow.PUBLISH)):
        raise CommandError(f"--by: “{username}” may not publish stories")
    return user


class Command(BaseCommand):
    help = "Import stories from plain-text files in the story format (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish the stories at once, through the quality gate like any publication.",
        )
        parser.add_argument(
            "--by",
            metavar="USER",
            help="The editor who publishes (and owns new stories); without it, “Importer”.",
        )
        parser.add_argument(
            "--update", action="store_true", help="Replace stories whose slug already exists."
        )

    def handle(self, *args, paths, publish, by, update, **options):
        user = find_publisher(by) if by else None
        stories = []
        for path in paths:
            try:
                stories.append(parse_story(read_story_file(path)))
            except StoryFormatError as error:
                raise CommandError(f"{path}: {error}") from None
        refused = []
        # One transaction: either every file is imported or none is. A story the quality
        # gate refuses stays a draft; the others are published.
        try:
            with (
                transaction.atomic(),
                progress_bar(
                    self.stderr, total=len(stories), unit="stories", description="Importing"
                ) as bar,
            ):
                articles = []
                for path, story in zip(paths, stories, strict=True):
                    article = import_story(story, update=update, by=user)
                    if publish and article.status != Status.PUBLISHED:
                        if not self.publish(path, article, user):
                            refused.append(path)
                    articles.append(article)
                    bar.update()
        except StoryFormatError as error:
            raise CommandError(str(error)) from None
        for article in articles:
            state = "published" if article.status == Status.PUBLISHED else "draft"
            self.stdout.write(f"{article.get_absolute_url()}  ({state}) {article.headline}")
        if refused:
            names = ", ".join(str(path) for path in refused)
            raise CommandError(f"not published, kept as drafts (see the list above): {names}")

    def publish(self, path, article, user) -> bool:
        """Publish through the quality gate; print what it says; return whether it published."""
        warnings = check_quality(article).warnings
        try:
            workflow.take(
                "publish",
                article,
                by=user,
                actor_name="" if user else IMPORTER,
                note=f"Published on import of {path.name} (import_article --publish).",
            )
        except workflow.QualityGateFailed as failed:
            self.stderr.write(f"{path}: the quality gate refused publication:")
            for error in failed.report.errors:
                self.stderr.write(f"  error: {error}")
            return False
        except (workflow.WorkflowError, PermissionDenied) as error:
            raise CommandError(f"{path}: {error}") from None
        for warning in warnings:
            self.stdout.write(f"{path}: warning: {warning}")
        return True
