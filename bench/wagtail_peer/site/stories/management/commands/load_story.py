"""manage.py load_story STORY_FILE: publish a Newsroom story file as the StoryPage at /story/."""

import math
from html import escape
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.models import Site
from wagtail.rich_text import RichText

from stories.models import StoryPage
from stories.story_format import parse_story

WORDS_PER_MINUTE = 230


def paragraph(text: str) -> RichText:
    return RichText(f"<p>{escape(text, quote=False)}</p>")


def as_block(kind: str, text: str):
    return (kind, paragraph(text) if kind == "paragraph" else text)


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("story_file", type=Path)
        # The story format carries neither; Newsroom's demo adds them from articles/demo.py.
        parser.add_argument("--dek", default="")
        parser.add_argument("--byline", default="")

    @transaction.atomic
    def handle(self, story_file, dek, byline, **options):
        try:
            story = parse_story(story_file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise CommandError(f"{story_file}: {error}") from None

        root = Site.objects.get(is_default_site=True).root_page
        for old in root.get_children().filter(slug="story"):
            old.delete()

        body = [as_block(kind, text) for kind, text in story.body]
        if story.takeaways:
            body.append(("takeaways", story.takeaways))
        texts = [story.headline, dek, *(text for _, text in story.body), *story.takeaways]
        words = sum(len(text.split()) for text in texts + story.closing)

        page = StoryPage(
            title=story.headline,
            slug="story",
            dek=dek,
            byline=byline,
            reading_minutes=max(1, math.ceil(words / WORDS_PER_MINUTE)),
            body=body,
            closing="".join(f"<p>{escape(text, quote=False)}</p>" for text in story.closing),
            footer=[("credit", credit) for credit in story.credits]
            + [("cta", cta) for cta in story.calls_to_action],
        )
        page.tags.add(*story.tags)
        root.add_child(instance=page)
        # Published through a revision, as an editor's "Publish" button does.
        page.save_revision().publish()
        self.stdout.write(f"Published “{page.title}” at {page.url}")
