"""The read API's stories: what anyone may read, what a preview key adds, and how a client
filters, orders, pages and trims them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.models import ApiKey, ArticleCallToAction, Notice, Section, Tag
from tests.factories import make_article, make_author, make_cta, make_desk

pytestmark = pytest.mark.django_db
STORIES = reverse("api:story-list")


def detail_url(story):
    return reverse("api:story-detail", args=[story.slug])


def preview_key() -> str:
    return ApiKey.issue(name="Preview app", scope=ApiKey.Scope.PREVIEW)[1]


def headlines(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [story["headline"] for story in response.json()["results"]]


def unseen_story(kind: str):
    """A story readers must not see, or one with a tag they must not see."""
    now = timezone.now()
    if kind == "draft":
        return make_article(headline="Hidden", status="draft")
    if kind == "scheduled":
        return make_article(
            headline="Hidden", status="scheduled", published_at=now + timedelta(hours=1)
        )
    if kind == "embargoed":
        return make_article(headline="Hidden", published_at=now + timedelta(days=1))
    story = make_article(headline="Hidden")
    story.deleted_at = now
    story.save()
    return story


UNSEEN = ["draft", "scheduled", "embargoed", "trashed"]


def test_the_list_shows_published_stories_newest_first(client):
    make_article(headline="Older", published_at=timezone.now() - timedelta(days=2))
    make_article(headline="Newer", published_at=timezone.now() - timedelta(days=1))
    assert headlines(client.get(STORIES)) == ["Newer", "Older"]


def test_a_listed_story_has_its_address_desk_bylines_and_tags(client):
    story = make_article(
        headline="Ferries go electric",
        desk=make_desk(name="City"),
        authors=[make_author(name="Ana Lima"), make_author(name="Rui Sousa")],
        tags=["Transport", "Climate"],
    )
    listed = client.get(STORIES).json()["results"][0]
    assert listed["url"] == f"http://testserver/stories/{story.slug}/"
    assert listed["desk"]["name"] == "City"
    assert [byline["name"] for byline in listed["bylines"]] == ["Ana Lima", "Rui Sousa"]
    assert [tag["name"] for tag in listed["tags"]] == ["Transport", "Climate"]


@pytest.mark.parametrize("kind", UNSEEN)
def test_a_story_readers_cannot_see_is_not_listed(client, kind):
    unseen_story(kind)
    make_article(headline="Shown")
    assert headlines(client.get(STORIES)) == ["Shown"]


@pytest.mark.parametrize("kind", UNSEEN)
def test_a_story_readers_cannot_see_is_a_404(client, kind):
    response = client.get(detail_url(unseen_story(kind)))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Article matches the given query."}


@pytest.mark.parametrize("kind", UNSEEN)
def test_a_preview_key_reads_a_story_readers_cannot_see(client, kind):
    story = unseen_story(kind)
    response = client.get(detail_url(story), headers={"authorization": f"Key {preview_key()}"})
    assert response.status_code == 200
    assert response.json()["trashed"] == (kind == "trashed")


def test_a_preview_key_lists_drafts_with_their_status(client):
    make_article(headline="Draft", status="draft")
    response = client.get(STORIES, {"key": preview_key()})
    assert [(s["headline"], s["status"]) for s in response.json()["results"]] == [
        ("Draft", "draft")
    ]


def test_a_published_scope_key_reads_what_readers_read(client):
    unseen_story("draft")
    _, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    assert headlines(client.get(STORIES, headers={"authorization": f"Key {secret}"})) == []


def test_an_internal_tag_is_left_off_a_story_but_shown_to_a_preview_key(client):
    story = make_article(tags=["Climate", "Budget planning"])
    Tag.objects.filter(name="Budget planning").update(is_internal=True)
    public = client.get(detail_url(story)).json()["tags"]
    preview = client.get(detail_url(story), {"key": preview_key()}).json()["tags"]
    assert [tag["name"] for tag in public] == ["Climate"]
    assert [tag["name"] for tag in preview] == ["Climate", "Budget planning"]


def test_a_story_has_its_parts_in_reading_order(client):
    story = make_article(sections=0, takeaways=2, credits=1, ctas=0)
    Section.objects.create(
        article=story, position=1, heading="The vote", body="<p>On <strong>Friday</strong>.</p>"
    )
    Section.objects.create(article=story, position=0, body="<p>The council meets.</p>")
    story.closing = "<p>Watch this space.</p>"
    story.save()
    shown = client.get(detail_url(story)).json()
    assert shown["sections"] == [
        {
            "heading": "",
            "anchor": "",
            "html": "<p>The council meets.</p>",
            "text": "The council meets.",
        },
        {
            "heading": "The vote",
            "anchor": "the-vote",
            "html": "<p>On <strong>Friday</strong>.</p>",
            "text": "On Friday.",
        },
    ]
    assert shown["takeaways"] == ["Takeaway 0.", "Takeaway 1."]
    assert shown["closing"] == {"html": "<p>Watch this space.</p>", "text": "Watch this space."}
    assert shown["credits"][0]["role"] == "Original article and inspiration provided by"


def test_a_story_shows_its_calls_to_action_showing_now_with_their_placement(client):
    story = make_article(ctas=0)
    showing = make_cta(
        text="Talk to us",
        button_label="Book",
        url="https://example.com/?a=1",
        utm_source="newsroom",
    )
    ended = make_cta(text="Old offer", ends_at=timezone.now() - timedelta(days=1))
    ArticleCallToAction.objects.create(
        article=story, call_to_action=showing, placement="after_intro"
    )
    ArticleCallToAction.objects.create(article=story, call_to_action=ended)
    placed = client.get(detail_url(story)).json()["calls_to_action"]
    assert [(p["placement"], p["call_to_action"]["text"]) for p in placed] == [
        ("after_intro", "Talk to us")
    ]
    assert placed[0]["call_to_action"]["url"] == "https://example.com/?a=1&utm_source=newsroom"


def test_a_story_shows_its_corrections_with_their_type_and_time(client):
    story = make_article()
    Notice.objects.create(
        article=story, kind="correction", text="The vote is on Friday, not Thursday."
    )
    notices = client.get(detail_url(story)).json()["notices"]
    assert [(n["type"], n["text"]) for n in notices] == [
        ("correction", "The vote is on Friday, not Thursday.")
    ]
    assert notices[0]["created_at"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"desk": "sport"}, ["Regatta"]),
        ({"tag": "rivers"}, ["Flood"]),
        ({"author": "ana-lima"}, ["Flood"]),
        ({"q": "regatta"}, ["Regatta"]),
        ({"published_since": "2026-01-10T00:00:00Z"}, ["Regatta"]),
        ({"published_before": "2026-01-10T00:00:00Z"}, ["Flood"]),
        # PostgreSQL takes offsets up to ±15:59; the filter compares in UTC.
        ({"published_since": "2026-01-09T06:00:00-18:00"}, ["Regatta"]),
        ({"ordering": "published_at"}, ["Flood", "Regatta"]),
    ],
)
def test_filters_and_ordering(client, params, expected):
    make_article(headline="Flood", tags=["Rivers"], authors=[make_author(name="Ana Lima")],
                 published_at=timezone.datetime(2026, 1, 5, tzinfo=timezone.UTC))  # fmt: skip
    make_article(headline="Regatta", desk=make_desk(name="Sport"),
                 published_at=timezone.datetime(2026, 1, 15, tzinfo=timezone.UTC))  # fmt: skip
    assert headlines(client.get(STORIES, params)) == expected


def test_a_filter_on_an_internal_tag_finds_nothing(client):
    make_article(tags=["Budget planning"])
    Tag.objects.filter(name="Budget planning").update(is_internal=True)
    assert headlines(client.get(STORIES, {"tag": "budget-planning"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"ordering": "headline"}, "ordering"),
        ({"published_since": "last tuesday"}, "published_since"),
        ({"published_since": "0001-01-01T00:00:00+05:00"}, "published_since"),
        ({"fields": "headline,colour"}, "fields"),
    ],
)
def test_a_parameter_not_understood_is_a_400_that_names_it(client, params, field):
    make_article()
    response = client.get(STORIES, params)
    assert response.status_code == 400
    assert field in response.json()


def test_pages_link_to_each_other_and_a_page_past_the_end_is_a_404(client):
    for day in range(5):
        make_article(headline=f"Day {day}", published_at=timezone.now() - timedelta(days=day))
    first = client.get(STORIES, {"limit": 2}).json()
    assert [s["headline"] for s in first["results"]] == ["Day 0", "Day 1"]
    assert first["previous"] is None
    last = client.get(client.get(first["next"]).json()["next"]).json()
    assert [s["headline"] for s in last["results"]] == ["Day 4"]
    assert last["next"] is None
    assert client.get(STORIES, {"limit": 2, "page": 4}).status_code == 404


def test_fields_trims_each_story_to_what_was_asked(client):
    make_article(headline="Ferries")
    listed = client.get(STORIES, {"fields": "headline,url"}).json()["results"]
    assert list(listed[0]) == ["url", "headline"]


def test_an_unchanged_story_answers_304_to_its_etag(client):
    story = make_article()
    first = client.get(detail_url(story))
    again = client.get(detail_url(story), headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304


def test_a_story_says_when_it_last_changed(client):
    story = make_article()
    first = client.get(detail_url(story))
    assert first["Last-Modified"]
    again = client.get(detail_url(story), headers={"if-modified-since": first["Last-Modified"]})
    assert again.status_code == 304


def test_list_queries_do_not_grow_with_the_page(client, django_assert_max_num_queries):
    for _ in range(12):
        make_article(tags=["Climate", "Rivers"], authors=[make_author(), make_author()])
    # the stories, their bylines with authors, their tags
    with django_assert_max_num_queries(3):
        assert len(client.get(STORIES, {"limit": 12}).json()["results"]) == 12


def test_detail_queries_do_not_grow_with_the_parts(client):
    small = make_article(sections=1, takeaways=1, credits=1, ctas=1, authors=[make_author()])
    big = make_article(sections=9, takeaways=6, credits=3, ctas=4, tags=["A", "B", "C"],
                       authors=[make_author() for _ in range(3)])  # fmt: skip
    counts = []
    for story in (small, big):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(detail_url(story)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_reference_story_comes_out_whole(client, reference_story_text):
    story = import_story(parse_story(reference_story_text))
    story.status, story.published_at = "published", timezone.now()
    story.save()
    shown = client.get(detail_url(story)).json()
    assert [s["heading"] for s in shown["sections"]] == [
        "",
        "Artists’ Concerns and the Leaked Access",
        "OpenAI’s Response and the Ethical Debate",
        "The Future of AI and Creative Industries",
    ]
    assert len(shown["takeaways"]) == 4
    assert [t["name"] for t in shown["tags"]] == [
        "AIRevolution",
        "ArtistsProtest",
        "EthicalAI",
        "CreativeIndustries",
    ]
    assert [(c["role"], c["name"]) for c in shown["credits"]] == [
        ("Original article and inspiration provided by", "Nitasha Tiku")
    ]
    assert [p["call_to_action"]["text"] for p in shown["calls_to_action"]] == [
        "Connect with one of our AI Strategists today at Opahl Technologies"
    ]
    assert shown["closing"]["text"]


def test_a_preview_key_gets_drafts_before_the_newest_stories(client):
    make_article(headline="Published")
    make_article(headline="Draft", status="draft", published_at=None)
    assert headlines(client.get(STORIES, {"key": preview_key()})) == ["Draft", "Published"]
