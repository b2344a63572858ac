"""Schemathesis (installed by .ci/run) fuzzes the API from its OpenAPI document against a live
server: no answer may be a 5xx, and every answer must match the document."""

import shutil
import subprocess
from pathlib import Path
from sys import executable

import pytest
from django.urls import reverse

from articles.api.throttling import PerAddressThrottle
from articles.models import Tag
from tests.factories import make_article, make_author, make_desk

ST = shutil.which("st", path=str(Path(executable).parent))

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not ST, reason="schemathesis not installed: API fuzzing skipped (pip install schemathesis)"
    ),
]


def test_the_api_answers_every_generated_request_as_its_schema_says(live_server, monkeypatch):
    # A thousand requests a minute: out of the rate limit's way, or most answers would be 429s.
    monkeypatch.setattr(PerAddressThrottle, "THROTTLE_RATES", {"address": "100000/min"})
    desk, author = make_desk(name="Science"), make_author(name="Ana Lima")
    make_article(headline="Ferries go electric", desk=desk, authors=[author], tags=["Climate"])
    make_article(headline="A draft", status="draft", tags=["Budget planning"])
    Tag.objects.filter(name="Budget planning").update(is_internal=True)
    result = subprocess.run(
        [
            ST,
            "run",
            f"{live_server.url}{reverse('api:schema')}?format=json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "50",
            "--generation-database",
            "none",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-6000:]
