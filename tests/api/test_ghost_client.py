"""Ghost's official JavaScript client, @tryghost/content-api from the npm registry, reads
Newsroom as a front end written for Ghost would: browse, read by slug and id, include,
filter, paginate, and Ghost's errors. .ci/run installs it (npm install in ghost_client/)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from articles.models import ApiKey, Pin
from tests.factories import make_article, make_author, make_desk

CLIENT = Path(__file__).parent / "ghost_client"
INSTALLED = (CLIENT / "node_modules" / "@tryghost" / "content-api").is_dir()

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not shutil.which("node"), reason="Node.js not installed: Ghost client skipped"
    ),
    pytest.mark.skipif(
        not INSTALLED,
        reason="@tryghost/content-api not installed: Ghost client skipped "
        "(npm install --prefix tests/api/ghost_client)",
    ),
]


@pytest.fixture
def read(live_server):
    """Stories a Ghost front end would show, and what the client read of them."""
    make_desk(name="Science")
    # Each story made is a second older than the one before: Towns is the newest.
    towns = make_article(headline="Towns", tags=["Cities"], dek="Where people live.")
    Pin.objects.create(article=towns)
    make_article(headline="Rivers", authors=[make_author(name="Rui")], tags=["Climate", "Rivers"])
    make_article(headline="Coasts", authors=[make_author(name="Ana Lima")], tags=["Climate"])
    make_article(headline="Draft", status="draft", tags=["Climate"])
    key = ApiKey.issue(name="Ghost front end", scope=ApiKey.Scope.PUBLISHED)[1]
    result = subprocess.run(
        ["node", "journey.cjs", live_server.url, key],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return {**json.loads(result.stdout), "site": live_server.url}


def test_the_client_browses_posts_newest_first_with_ghosts_pagination(read):
    assert read["firstPage"]["titles"] == ["Towns", "Rivers"]
    assert read["firstPage"]["meta"]["pagination"] == {
        "page": 1,
        "limit": 2,
        "pages": 2,
        "total": 3,
        "next": 2,
        "prev": None,
    }
    assert read["secondPage"] == ["Coasts"]


def test_the_client_gets_authors_tags_and_the_excerpt_on_a_post(read):
    post = read["firstPost"]
    assert post["primary_author"]["name"] == post["authors"][0]["name"]
    assert [tag["name"] for tag in post["tags"]] == ["Cities"]
    assert post["custom_excerpt"] == "Where people live."
    assert post["featured"] is True


def test_the_client_reads_a_post_by_slug_and_by_id(read):
    assert read["bySlug"]["title"] == read["byId"] == "Towns"
    assert "Takeaway 1" in read["bySlug"]["html"]
    assert "<" not in read["bySlug"]["plaintext"]


def test_the_client_filters_by_tag_author_and_featured(read):
    assert read["tagged"] == [
        {"title": "Rivers", "slug": "rivers"},
        {"title": "Coasts", "slug": "coasts"},
    ]
    assert read["either"] == ["Rivers", "Coasts"]


def test_the_client_lists_authors_and_tags_with_their_counts(read):
    assert ["ana-lima", 1] in read["authors"]
    assert read["tags"] == [["rivers", 1], ["climate", 2], ["cities", 1]]
    assert read["tag"] == "Climate"


def test_the_client_reads_the_sites_settings_and_no_pages(read):
    assert read["settings"]["navigation"] == [
        {"label": "Science", "url": f"{read['site']}/desks/science/"}
    ]
    assert read["pages"] == 0


def test_the_client_raises_ghosts_errors(read):
    assert read["refused"]["name"] == "BadRequestError"
    assert "colour" in read["refused"]["context"]
    assert read["missing"] == {"name": "NotFoundError", "status": 404}
