"""Demo content for `make demo`: a login per role, and the project's own demo stories in the
states a working desk has (published, in review, changes requested, scheduled)."""

import io
import random
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

from articles.editing import stories
from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Section,
    Tag,
    TaggedArticle,
    Takeaway,
)
from articles.moderation import workflow
from articles.moderation.roles import ensure_roles

DEMO_STORIES_DIR = Path(__file__).resolve().parent / "demo_stories"
# A demo story shows an earlier one's picture inside its text. The file names that story
# ("demo-picture:<file name>"): the picture's stored name is only known once it is loaded.
DEMO_PICTURE = re.compile(r"demo-picture:([a-z0-9-]+)")

# username -> (password, role)
DEMO_USERS = {
    "writer": ("writer-demo-password", "Writer"),
    "editor": ("editor-demo-password", "Editor"),
    "chief": ("chief-demo-password", "Chief"),
}

DESKS = {
    "Local": "The city, its services and the people who run them.",
    "Science": "Research, data and the people behind the discoveries.",
    "Media": "How news is made, and how it is changing.",
}

AUTHOR_TITLES = {
    "Maya Okafor": "Education reporter",
    "Tom Reyes": "Local desk",
    "Priya Natarajan": "Science editor",
    "Daniel Brooks": "Media correspondent",
}

# file name -> what a story file does not carry: the drawn picture's colours, the review state.
# Everything else (dek, desk, bylines, alt text, links) is in the files themselves.
STORY_DETAILS = {
    "city-library-opens-robotics-lab.txt": {"colours": ((20, 70, 110), (240, 170, 60))},
    "open-source-weather-model-beats-forecasts.txt": {"colours": ((30, 90, 80), (170, 210, 230))},
    "newsrooms-adopt-ai-guidelines.txt": {"colours": ((110, 30, 40), (240, 220, 200))},
    "harbour-ferry-goes-electric.txt": {
        "colours": ((10, 60, 90), (120, 200, 190)),
        "state": "in_review",
    },
    "university-opens-verification-lab.txt": {
        "colours": ((60, 40, 100), (230, 200, 120)),
        "state": "changes_requested",
    },
    "citizen-scientists-map-urban-heat.txt": {
        "colours": ((150, 40, 20), (250, 210, 120)),
        "state": "scheduled",
    },
}


class DemoRefused(Exception):
    """Demo logins with published passwords must never exist on a production site."""


def make_picture(seed: str, colours) -> ContentFile:
    """Draw an abstract 1600×900 JPEG, so the demo needs no downloaded photos."""
    top, bottom = colours
    image = Image.new("RGB", (1600, 900))
    draw = ImageDraw.Draw(image)
    for y in range(900):
        mix = y / 899
        draw.line(
            [(0, y), (1600, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    # Repeatable demo content, not secrets.
    rng = random.Random(seed)  # nosec B311
    for _ in range(14):
        x, y, r = rng.randrange(1600), rng.randrange(900), rng.randrange(40, 220)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=f"{seed}.jpg")


def create_demo_users() -> dict[str, str]:
    """Create one login per role; return username -> password for the terminal."""
    if not settings.DEBUG:
        raise DemoRefused("demo users are refused when DEBUG is off")
    ensure_roles()
    for username, (password, role) in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.first_name = username.capitalize()
        user.email = f"{username}@newsroom.example"
        user.set_password(password)
        user.save()
        user.groups.set([Group.objects.get(name=role)])
    return {username: password for username, (password, _) in DEMO_USERS.items()}


def move_to_demo_state(article: Article, state: str, *, now) -> None:
    """Walk a fresh draft through the workflow to where the demo wants it."""
    writer = User.objects.get(username="writer")
    editor = User.objects.get(username="editor")
    if state == "published":
        workflow.take("submit", article, by=writer, now=now)
        workflow.take("publish", article, by=editor, now=now)
        return
    workflow.take("submit", article, by=writer, now=now)
    if state == "changes_requested":
        workflow.take(
            "request_changes",
            article,
            by=editor,
            note="Please name the lab's funder in the intro and add a reply from the union.",
            now=now,
        )
    elif state == "scheduled":
        workflow.take("approve", article, by=editor, now=now)
        tomorrow_morning = (now + timedelta(days=1)).replace(hour=7, minute=0, second=0)
        workflow.take("schedule", article, by=editor, when=tomorrow_morning, now=now)
    elif state == "in_review":
        # Assigned and already overdue, so the review queues show it first.
        Article.objects.filter(pk=article.pk).update(
            assignee=editor, due_at=now - timedelta(hours=1), priority=Article.Priority.HIGH
        )


@transaction.atomic
def load_demo_stories(now=None) -> list[Article]:
    """Import the demo stories and draw their pictures; idempotent."""
    now = now or timezone.now()
    writer = User.objects.filter(username="writer").first()
    articles = []
    # Made first so the stories' Desk: and Byline: lines find them with their descriptions.
    for name, description in DESKS.items():
        Desk.objects.get_or_create(
            name=name, defaults={"slug": name.lower(), "description": description}
        )
    for name, job_title in AUTHOR_TITLES.items():
        Author.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "job_title": job_title}
        )
    pictures = {}
    for age, path in enumerate(sorted(DEMO_STORIES_DIR.glob("*.txt"))):
        details = STORY_DETAILS[path.name]
        text = DEMO_PICTURE.sub(lambda name: pictures[name[1]], path.read_text(encoding="utf-8"))
        article = import_story(parse_story(text), update=True, by=writer)
        if not article.hero_image:
            article.hero_image.save(
                f"{article.slug}.jpg", make_picture(article.slug, details["colours"]), save=False
            )
            stories.save_story(article, by=writer, summary="Demo picture")
        pictures[path.stem] = article.hero_image.url
        if article.status == Article.Status.DRAFT:
            move_to_demo_state(
                article, details.get("state", "published"), now=now - timedelta(hours=5 * age + 1)
            )
        articles.append(article)
    return articles


GENERATED_TAGS = [
    "Climate", "Housing", "Transport", "Schools", "Health", "Budget", "Courts", "Elections",
    "Science", "Technology", "Culture", "Sport", "Business", "Energy", "Water", "Libraries",
    "OpenData", "AI", "Media", "Police", "Parks", "Jobs", "Tourism", "Farming",
]  # fmt: skip


# The place a generated story is filed from, starting its text as on a wire story, and the
# share of stories filed from each: so that searches can be timed and their plans tested
# for a word in 30% of the archive (Lisbon) down to one in 1% (Sintra).
DATELINES = {
    "Lisbon": 30, "Porto": 20, "Braga": 15, "Coimbra": 10, "Faro": 8,
    "Evora": 6, "Aveiro": 5, "Viseu": 3, "Tomar": 2, "Sintra": 1,
}  # fmt: skip


@transaction.atomic
def generate_articles(
    count: int, *, seed: int = 1, batch_size: int = 1000, advance=lambda made: None
) -> int:
    """Add `count` published stories with every part, for scale tests; return how many.
    `advance(n)` is told of each batch of n stories written."""
    # Repeatable demo content, not secrets.
    rng = random.Random(seed)  # nosec B311
    parsed = [
        parse_story(p.read_text(encoding="utf-8")) for p in sorted(DEMO_STORIES_DIR.glob("*.txt"))
    ]
    desks, authors, tags, cta = _generated_shared_rows()
    first = Article.objects.count()
    now = timezone.now()
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        articles, parts = [], []
        for offset in range(size):
            number = first + made + offset + 1
            story = rng.choice(parsed)
            articles.append(_generated_article(story, number, rng=rng, desks=desks, now=now))
            parts.append(story)
        Article.objects.bulk_create(articles)
        _add_generated_parts(articles, parts, rng=rng, authors=authors, tags=tags, cta=cta)
        # Written in bulk, without the write path's saves: search and reader pages learn here.
        stories.stories_loaded(Article.objects.filter(pk__in=[a.pk for a in articles]))
        made += size
        advance(size)
    return made


def _generated_shared_rows() -> tuple[list[Desk], list[Author], list[Tag], CallToAction]:
    """Return the desks, reporters, tags and call to action the generated stories share."""
    desks = [
        Desk.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]
        for name in ["Local", "Science", "Media", "Business", "Culture", "Sport"]
    ]
    authors = [
        Author.objects.get_or_create(slug=f"reporter-{n}", defaults={"name": f"Reporter {n}"})[0]
        for n in range(1, 41)
    ]
    tags = [
        Tag.objects.get_or_create(name=name, defaults={"slug": name.lower()})[0]
        for name in GENERATED_TAGS
    ]
    cta = CallToAction.objects.get_or_create(
        name="Generated — newsletter",
        defaults={
            "text": "Get the morning briefing from Newsroom Labs",
            "button_label": "Sign up for the briefing",
            "url": "https://newsroom.example/briefing",
        },
    )[0]
    return desks, authors, tags, cta


def _generated_article(story, number: int, *, rng, desks, now) -> Article:
    """Return an unsaved published story made from a demo story's text."""
    headline = f"{story.headline} ({number})"
    dateline = rng.choices(list(DATELINES), weights=list(DATELINES.values()))[0]
    body = " ".join([f"{dateline.upper()} —", *(p for s in story.sections for p in s.paragraphs)])
    return Article(
        headline=headline,
        slug=f"generated-{number}",
        dek=story.sections[0].paragraphs[0][:290],
        desk=rng.choice(desks),
        status=Article.Status.PUBLISHED,
        published_at=now - timedelta(minutes=rng.randrange(1, 60 * 24 * 365 * 3)),
        closing="".join(f"<p>{p}</p>" for p in story.closing),
        body_text=body,
        takeaways_text=" ".join(story.takeaways),
        word_count=len(body.split()),
    )


def _add_generated_parts(articles, parts, *, rng, authors, tags, cta) -> None:
    """Add the sections, takeaways, credits, bylines, tags and call to action of each story."""
    Section.objects.bulk_create(
        Section(
            article=article,
            position=position,
            heading=section.heading,
            anchor=slugify(section.heading)[:70],
            body="".join(f"<p>{p}</p>" for p in section.paragraphs),
        )
        for article, story in zip(articles, parts, strict=True)
        for position, section in enumerate(story.sections)
    )
    Takeaway.objects.bulk_create(
        Takeaway(article=article, position=position, text=text)
        for article, story in zip(articles, parts, strict=True)
        for position, text in enumerate(story.takeaways)
    )
    Credit.objects.bulk_create(
        Credit(article=article, role=c.role, name=c.name, organisation=c.organisation)
        for article, story in zip(articles, parts, strict=True)
        for c in story.credits
    )
    Byline.objects.bulk_create(
        Byline(article=article, author=author, position=position)
        for article in articles
        for position, author in enumerate(rng.sample(authors, rng.randint(1, 2)))
    )
    TaggedArticle.objects.bulk_create(
        TaggedArticle(content_object=article, tag=tag)
        for article in articles
        for tag in rng.sample(tags, rng.randint(1, 4))
    )
    ArticleCallToAction.objects.bulk_create(
        ArticleCallToAction(article=article, call_to_action=cta) for article in articles
    )
