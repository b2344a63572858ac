"""Ghost's Content API at /ghost/api/content/: what a front end written for Ghost gets."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.api.ghost import ghost_id
from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.models import ApiKey, Credit, Pin, Tag
from tests.api.test_stories import UNSEEN, preview_key, unseen_story
from tests.factories import make_article, make_author, make_desk

pytestmark = pytest.mark.django_db
ROOT = "/ghost/api/content"


@pytest.fixture
def key():
    return ApiKey.issue(name="Ghost front end", scope=ApiKey.Scope.PUBLISHED)[1]


@pytest.fixture
def ghost(client, key):
    """GET a Ghost resource with the key, as Ghost's client does; return the response."""

    def get(path, **params):
        return client.get(f"{ROOT}/{path}", {"key": key, **params})

    return get


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [post["title"] for post in response.json()["posts"]]


def error_of(response, status) -> dict:
    assert response.status_code == status, response.content
    (error,) = response.json()["errors"]
    return error


def test_without_a_key_the_answer_is_a_401_in_ghosts_shape(client):
    make_article()
    error = error_of(client.get(f"{ROOT}/posts/"), 401)
    assert error["type"] == "UnauthorizedError"
    assert "key" in error["message"]


def test_a_revoked_key_is_refused(client, key):
    ApiKey.find(key).revoke()
    assert error_of(client.get(f"{ROOT}/posts/", {"key": key}), 401)["message"]


def test_an_allowed_origin_may_read_it_from_a_browser(client, key, settings):
    # A Ghost front end running in visitors' browsers, on its own origin.
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    url = f"{ROOT}/posts/?key={key}"
    allowed = client.get(url, headers={"origin": "https://app.example.com"})
    other = client.get(url, headers={"origin": "https://evil.example.net"})
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in other


def test_posts_are_the_published_stories_newest_first(ghost):
    make_article(headline="Older", published_at=timezone.now() - timedelta(days=2))
    make_article(headline="Newer", published_at=timezone.now() - timedelta(days=1))
    assert titles(ghost("posts/")) == ["Newer", "Older"]


def test_a_post_carries_ghosts_fields(ghost):
    story = make_article(headline="Ferries go electric", dek="The harbour's new boats.")
    (post,) = ghost("posts/").json()["posts"]
    assert post["id"] == ghost_id(story.pk)
    assert post["slug"] == story.slug
    assert post["url"] == f"http://testserver/stories/{story.slug}/"
    assert post["custom_excerpt"] == post["excerpt"] == "The harbour's new boats."
    assert post["visibility"] == "public"
    assert post["featured"] is False
    assert post["published_at"].startswith(story.published_at.strftime("%Y-%m-%dT%H:%M:%S"))
    assert post["reading_time"] == story.reading_minutes


def test_a_list_says_how_many_pages_there_are(ghost):
    for _ in range(5):
        make_article()
    pagination = ghost("posts/", limit=2, page=2).json()["meta"]["pagination"]
    assert pagination == {"page": 2, "limit": 2, "pages": 3, "total": 5, "next": 3, "prev": 1}


def test_limit_all_gives_the_largest_page(ghost):
    for _ in range(3):
        make_article()
    assert ghost("posts/", limit="all").json()["meta"]["pagination"]["limit"] == 100


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "lots"}, {"page": "0"}])
def test_a_bad_page_or_limit_is_a_validation_error(ghost, params):
    assert error_of(ghost("posts/", **params), 400)["type"] == "ValidationError"


def test_a_page_past_the_end_is_empty(ghost):
    make_article()
    assert titles(ghost("posts/", page=5)) == []


def test_a_post_is_read_by_slug_without_meta(ghost):
    story = make_article(headline="By slug")
    body = ghost(f"posts/slug/{story.slug}/").json()
    assert [post["title"] for post in body["posts"]] == ["By slug"]
    assert "meta" not in body


def test_a_post_is_read_by_id(ghost):
    story = make_article(headline="By id")
    assert titles(ghost(f"posts/{ghost_id(story.pk)}/")) == ["By id"]


@pytest.mark.parametrize(
    "path", ["posts/slug/no-such-story/", "posts/not-an-id/", f"posts/{'f' * 24}/", "tags/slug/x/"]
)
def test_what_is_not_there_is_a_404_in_ghosts_shape(ghost, path):
    error = error_of(ghost(path), 404)
    assert error["type"] == "NotFoundError"


@pytest.mark.parametrize("kind", UNSEEN)
def test_a_story_readers_cannot_see_is_never_a_post(client, kind):
    story = unseen_story(kind)
    make_article(headline="Shown")
    key = preview_key()  # Ghost's Content API has no drafts, whatever the key
    assert titles(client.get(f"{ROOT}/posts/", {"key": key})) == ["Shown"]
    assert client.get(f"{ROOT}/posts/slug/{story.slug}/", {"key": key}).status_code == 404


def test_an_internal_tag_is_on_no_post_and_in_no_tag_list(ghost):
    make_article(tags=["Climate", "planning"])
    Tag.objects.filter(name="planning").update(is_internal=True)
    (post,) = ghost("posts/", include="tags").json()["posts"]
    assert [tag["name"] for tag in post["tags"]] == ["Climate"]
    assert [tag["name"] for tag in ghost("tags/").json()["tags"]] == ["Climate"]
    assert titles(ghost("posts/", filter="tag:planning")) == []


def test_include_adds_authors_and_tags_with_the_primary_ones(ghost):
    make_article(authors=[make_author(name="Ana Lima"), make_author(name="Rui Sousa")], tags=["A"])
    (post,) = ghost("posts/", include="authors,tags").json()["posts"]
    assert [author["name"] for author in post["authors"]] == ["Ana Lima", "Rui Sousa"]
    assert post["primary_author"]["slug"] == "ana-lima"
    assert post["primary_tag"]["name"] == "A"


def test_without_include_a_post_has_no_authors(ghost):
    make_article()
    (post,) = ghost("posts/").json()["posts"]
    assert "authors" not in post


def test_an_unknown_include_is_a_validation_error(ghost):
    assert "comments" in error_of(ghost("posts/", include="comments"), 400)["context"]


def test_fields_trims_a_post(ghost):
    make_article(headline="Trimmed")
    (post,) = ghost("posts/", fields="title,url,nothing").json()["posts"]
    assert set(post) == {"title", "url"}


def test_formats_plaintext_gives_text_instead_of_html(ghost):
    make_article()
    (post,) = ghost("posts/", formats="plaintext").json()["posts"]
    assert "html" not in post
    assert "Paragraph 0 of story" in post["plaintext"]


def test_the_html_holds_the_story_in_reading_order_with_the_credit_first(ghost):
    story = make_article(headline="Ordered")
    story.closing = "<p>The closing words.</p>"
    story.save()
    html = ghost("posts/").json()["posts"][0]["html"]
    order = [
        "Reporter 0",
        "Paragraph 0",
        "Heading 1",
        "Key takeaways",
        "Takeaway 1",
        "closing words",
    ]
    positions = [html.index(text) for text in order]
    assert positions == sorted(positions)
    assert "Connect with one of our AI Strategists today" in html
    assert "In this story" not in html  # a Ghost theme draws its own contents
    assert "{#" not in html and "{%" not in html


def test_canonical_url_is_the_original_only_for_a_syndicated_story(ghost):
    copy = make_article(headline="Copy", credits=0, canonical_is_original=True)
    Credit.objects.create(article=copy, name="Nitasha Tiku", url="https://example.org/original")
    make_article(headline="Own")
    posts = {post["title"]: post for post in ghost("posts/").json()["posts"]}
    assert posts["Copy"]["canonical_url"] == "https://example.org/original"
    assert posts["Own"]["canonical_url"] is None


def test_a_story_on_the_home_page_is_featured(ghost):
    story = make_article(headline="Picked")
    make_article(headline="Not picked")
    Pin.objects.create(article=story)
    assert titles(ghost("posts/", filter="featured:true")) == ["Picked"]
    assert titles(ghost("posts/", filter="featured:false")) == ["Not picked"]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("tag:climate", ["Rivers", "Coasts"]),
        ("tags:[rivers,cities]", ["Towns", "Rivers"]),
        ("tag:-climate", ["Towns"]),
        ("author:ana", ["Towns", "Coasts"]),
        ("slug:towns", ["Towns"]),
        ("tag:climate+author:ana", ["Coasts"]),
        ("tag:rivers,author:ana", ["Towns", "Rivers", "Coasts"]),
        ("published_at:>'2026-01-02 12:00:00'", ["Towns"]),
        ("published_at:<='2026-01-02 12:00:00'", ["Rivers", "Coasts"]),
        ("published_at:<2026-01-02", ["Coasts"]),
    ],
)
def test_filters_front_ends_send(ghost, expression, expected):
    ana, rui = make_author(name="Ana"), make_author(name="Rui")
    day = timezone.datetime(2026, 1, 1, 12, tzinfo=timezone.UTC)
    make_article(
        headline="Coasts", slug="coasts", authors=[ana], tags=["Climate"], published_at=day
    )
    make_article(
        headline="Rivers", slug="rivers", authors=[rui], tags=["Climate", "Rivers"],
        published_at=day + timedelta(days=1),
    )  # fmt: skip
    make_article(
        headline="Towns", slug="towns", authors=[ana], tags=["Cities"],
        published_at=day + timedelta(days=2),
    )  # fmt: skip
    assert titles(ghost("posts/", filter=expression)) == expected


@pytest.mark.parametrize(
    "expression", ["tag:", "colour:red", "(tag:a", "featured:maybe", f"id:{'f' * 24}"]
)
def test_a_filter_not_understood_is_a_bad_request_in_ghosts_shape(ghost, expression):
    error = error_of(ghost("posts/", filter=expression), 400)
    assert error["type"] == "BadRequestError"
    assert error["message"] == "Error parsing filter"
    assert error["context"]


# The client and the key serve every example alike: nothing a request does changes them.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expression=st.text(alphabet="tagslugfeaturd:+,()[]-'<>=0123 ", max_size=30))
def test_no_filter_is_a_server_error(ghost, expression):
    assert ghost("posts/", filter=expression).status_code in (200, 400)


def test_order_by_title(ghost):
    make_article(headline="Beta")
    make_article(headline="Alpha")
    assert titles(ghost("posts/", order="title asc")) == ["Alpha", "Beta"]


def test_an_unknown_order_is_a_validation_error(ghost):
    assert "colour" in error_of(ghost("posts/", order="colour desc"), 400)["context"]


def test_authors_are_those_with_a_published_story_with_their_count(ghost):
    ana = make_author(name="Ana")
    make_article(authors=[ana])
    make_article(authors=[ana])
    make_article(authors=[make_author(name="Drafting")], status="draft")
    authors = ghost("authors/", include="count.posts").json()["authors"]
    assert [(a["name"], a["count"]["posts"]) for a in authors] == [("Ana", 2)]


def test_tags_have_their_count_of_published_posts(ghost):
    make_article(tags=["Climate"])
    make_article(tags=["Climate"], status="draft")
    (tag,) = ghost("tags/", include="count.posts").json()["tags"]
    assert (tag["name"], tag["count"]["posts"], tag["visibility"]) == ("Climate", 1, "public")


def test_pages_are_empty(ghost):
    make_article()
    body = ghost("pages/").json()
    assert body["pages"] == []
    assert body["meta"]["pagination"]["total"] == 0


def test_settings_give_the_sites_name_address_and_desks(ghost):
    make_desk(name="City")
    shown = ghost("settings/").json()["settings"]
    assert shown["url"] == "http://testserver/"
    assert shown["navigation"] == [{"label": "City", "url": "http://testserver/desks/city/"}]


def test_a_list_costs_the_same_queries_whatever_its_length(ghost):
    counts = []
    for _ in range(2):
        for _ in range(6):
            make_article(tags=["A"])
        with CaptureQueriesContext(connection) as queries:
            assert ghost("posts/", include="authors,tags", limit="all").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_list_of_fifteen_costs_at_most_ten_queries(ghost, django_assert_max_num_queries):
    for _ in range(15):
        make_article(tags=["A"])
    # The key, the count, the page, and one query for each kind of part.
    with django_assert_max_num_queries(10):
        ghost("posts/", include="authors,tags")


def test_the_reference_story_is_a_whole_post(ghost, reference_story_text):
    story = import_story(parse_story(reference_story_text))
    story.status, story.published_at = "published", timezone.now()
    story.save()
    (post,) = ghost(f"posts/slug/{story.slug}/", include="tags").json()["posts"]
    assert post["html"].index("Nitasha Tiku") < post["html"].index("Artists’ Concerns")
    assert post["html"].count("<li>") >= 4  # the takeaways
    assert "Opahl Technologies" in post["html"]
    assert [tag["name"] for tag in post["tags"]][:2] == ["AIRevolution", "ArtistsProtest"]
