"""Demo content for `make demo`: staff logins and the project's own demo stories, published."""

import io
import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from articles import workflow
from articles.importers import parse_story, save_story
from articles.models import Article, Author, Byline, CallToAction, Credit, Desk

DEMO_STORIES_DIR = Path(__file__).resolve().parent / "demo_stories"

# username -> (password, superuser?); the editor gets every article permission.
DEMO_USERS = {
    "chief": ("chief-demo-password", True),
    "editor": ("editor-demo-password", False),
}

DESKS = {
    "Local": "The city, its services and the people who run them.",
    "Science": "Research, data and the people behind the discoveries.",
    "Media": "How news is made, and how it is changing.",
}

# file name -> what the story format does not carry: desk, dek, bylines, picture, links
STORY_DETAILS = {
    "city-library-opens-robotics-lab.txt": {
        "desk": "Local",
        "dek": "Teenagers can now build and program robots for free, in a room that used to hold "
        "back issues of newspapers.",
        "authors": [("Maya Okafor", "Education reporter"), ("Tom Reyes", "Local desk")],
        "colours": ((20, 70, 110), (240, 170, 60)),
        "alt": "Abstract illustration in blue and amber: circuit lines around a book shape.",
        "caption": "The new lab occupies the library's former periodicals room.",
        "cta": ("Ask a reporter", "mailto:tips@newsroom.example"),
    },
    "open-source-weather-model-beats-forecasts.txt": {
        "desk": "Science",
        "dek": "A volunteer-built forecast model came out ahead of the official service over a "
        "six-month trial, and the meteorologists are taking notes.",
        "authors": [("Priya Natarajan", "Science editor")],
        "colours": ((30, 90, 80), (170, 210, 230)),
        "alt": "Abstract illustration of layered cloud bands in teal and pale blue.",
        "caption": "Volunteers ran the model on donated servers.",
        "cta": ("Talk to our science desk", "https://newsroom.example/labs/science"),
        "credit_url": "https://newsroom.example/partners/caldera-valley-ledger/weather-model",
    },
    "newsrooms-adopt-ai-guidelines.txt": {
        "desk": "Media",
        "dek": "Forty-seven of 85 outlets surveyed now tell readers how their journalists may use "
        "AI tools, and what they promise never to do with them.",
        "authors": [
            ("Daniel Brooks", "Media correspondent"),
            ("Maya Okafor", "Education reporter"),
        ],
        "colours": ((110, 30, 40), (240, 220, 200)),
        "alt": "Abstract illustration: a printed page with a grid of dots in wine red and cream.",
        "caption": "Most policies require a human editor to review AI-assisted work.",
        "cta": ("Book a data consultation", "https://newsroom.example/labs/data"),
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
    rng = random.Random(seed)
    for _ in range(14):
        x, y, r = rng.randrange(1600), rng.randrange(900), rng.randrange(40, 220)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 255, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue(), name=f"{seed}.jpg")


def create_demo_users() -> dict[str, str]:
    if not settings.DEBUG:
        raise DemoRefused("demo users are refused when DEBUG is off")
    article_permissions = Permission.objects.filter(content_type__app_label="articles")
    for username, (password, superuser) in DEMO_USERS.items():
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff = True
        user.is_superuser = superuser
        user.email = f"{username}@newsroom.example"
        user.set_password(password)
        user.save()
        if not superuser:
            user.user_permissions.set(article_permissions)
    return {username: password for username, (password, _) in DEMO_USERS.items()}


@transaction.atomic
def load_demo_stories(now=None) -> list[Article]:
    now = now or timezone.now()
    articles = []
    files = sorted(DEMO_STORIES_DIR.glob("*.txt"))
    for age, path in enumerate(files):
        details = STORY_DETAILS[path.name]
        article = save_story(parse_story(path.read_text(encoding="utf-8")), update=True)
        article.desk, _ = Desk.objects.get_or_create(
            name=details["desk"],
            defaults={"slug": details["desk"].lower(), "description": DESKS[details["desk"]]},
        )
        article.dek = details["dek"]
        article.hero_alt = details["alt"]
        article.hero_caption = details["caption"]
        article.hero_credit = "Illustration: Newsroom"
        if not article.hero_image:
            article.hero_image.save(
                f"{article.slug}.jpg", make_picture(article.slug, details["colours"]), save=False
            )
        article.save()
        article.bylines.all().delete()
        for position, (name, job_title) in enumerate(details["authors"]):
            author, _ = Author.objects.get_or_create(
                slug=name.lower().replace(" ", "-"),
                defaults={"name": name, "job_title": job_title},
            )
            Byline.objects.create(article=article, author=author, position=position)
        label, url = details["cta"]
        CallToAction.objects.filter(placements__article=article).update(button_label=label, url=url)
        if "credit_url" in details:
            Credit.objects.filter(article=article).update(url=details["credit_url"])
        article.refresh_word_count()
        if article.status != Article.Status.PUBLISHED:
            workflow.publish(article, by=None, now=now - timedelta(hours=5 * age + 1))
        articles.append(article)
    return articles
