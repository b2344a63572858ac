import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from articles.models import Article, Picture
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


def test_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused when DEBUG is off"):
        call_command("load_demo")
    assert not Article.objects.exists()


def test_demo_stories_use_every_part(settings, capsys):
    settings.DEBUG = True
    call_command("load_demo")
    for article in Article.objects.all():
        assert article.dek and article.desk and article.hero_image and article.hero_alt
        assert article.bylines.exists() and article.tags.exists() and article.credits.exists()
        assert article.sections.exclude(heading="").count() >= 3
        assert article.takeaways.count() >= 3
        assert article.closing
        assert article.cta_placements.filter(call_to_action__url__startswith="http").exists() or (
            article.cta_placements.filter(call_to_action__url__startswith="mailto:").exists()
        )
    published_bodies = Article.objects.published().values_list("sections__body", flat=True)
    assert any("<h3>" in body for body in published_bodies)
    assert any("<figure" in body and "<figcaption>" in body for body in published_bodies)
    assert any('href="/stories/' in body for body in published_bodies)
    output = capsys.readouterr().out
    assert "http://127.0.0.1:8000/review/" in output
    assert "editor / editor-demo-password" in output


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_demo_pictures_are_in_the_library_each_used_by_its_story(settings):
    settings.DEBUG = True
    call_command("load_demo")
    run_worker()  # `make demo` runs it beside the server: the thumbnails
    pictures = Picture.objects.with_story_count()
    assert len(pictures) == Article.objects.count()
    assert all(picture.thumbnail for picture in pictures)
    # Each story's own hero; the heat map also inside the weather story's text.
    assert sorted(picture.story_count for picture in pictures) == [1, 1, 1, 1, 1, 2]


def test_demo_prints_links_to_the_site_address(settings, capsys):
    # `PORT=58000 make demo` sets SITE_URL; the links printed must lead there.
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:58000"
    call_command("load_demo")
    output = capsys.readouterr().out
    assert "Review:      http://127.0.0.1:58000/review/" in output
    assert ":8000/" not in output


def test_demo_fills_every_review_queue(settings):
    settings.DEBUG = True
    call_command("load_demo")
    states = sorted(Article.objects.values_list("status", flat=True))
    assert states == sorted(
        ["published", "published", "published", "in_review", "changes_requested", "scheduled"]
    )


@pytest.mark.parametrize("role", ["writer", "editor", "chief"])
def test_demo_logins_work_in_their_roles(settings, role):
    settings.DEBUG = True
    call_command("load_demo")
    user = authenticate(username=role, password=f"{role}-demo-password")
    assert [group.name for group in user.groups.all()] == [role.capitalize()]


def test_loading_the_demo_twice_changes_nothing(settings):
    settings.DEBUG = True
    call_command("load_demo")
    call_command("load_demo")
    assert Article.objects.count() == 6


def test_generated_stories_are_published_with_every_part():
    from articles.operations.demo import generate_articles

    assert generate_articles(25, batch_size=10) == 25
    stories = Article.objects.published()
    assert stories.count() == 25
    story = stories.first()
    assert story.sections.exists() and story.takeaways.exists() and story.credits.exists()
    assert story.bylines.exists() and story.tags.exists() and story.cta_placements.exists()
    assert story.body_text and story.word_count > 100


def test_generate_articles_refuses_a_silly_count():
    with pytest.raises(CommandError, match="between 1 and 1,000,000"):
        call_command("generate_articles", "0")


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_demo_stories_show_their_drawn_pictures_in_every_size(settings):
    settings.DEBUG = True
    call_command("load_demo")
    run_worker()  # `make demo` runs it beside the server: the renditions
    for article in Article.objects.all():
        assert article.hero_renditions["webp_srcset"].endswith("1600w")
        assert article.revisions.filter(summary="Demo picture").count() == 1
