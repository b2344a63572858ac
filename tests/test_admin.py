import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article
from tests.conftest import DEMO_STORIES
from tests.factories import make_article, make_author, make_cta, make_desk, make_image_upload

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_article_add")
CHANGELIST_URL = reverse("admin:articles_article_changelist")
IMPORT_URL = reverse("admin:articles_article_import")
INLINES = ["bylines", "sections", "takeaways", "credits", "cta_placements"]


def inline_rows(prefix, rows):
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def full_story_post(**overrides):
    """The POST the admin's add form sends for a story with every part filled in."""
    author_one, author_two = make_author(name="Ana Ruiz"), make_author(name="Bo Chen")
    cta = make_cta(button_label="Book a consultation", url="https://example.com/strategy")
    data = {
        "headline": "Artists protest a video model",
        "slug": "artists-protest",
        "dek": "A protest over access to an AI model.",
        "desk": make_desk(name="Technology").pk,
        "tags": ["AIRevolution", "#EthicalAI", "ethicalai"],
        "hero_image": make_image_upload(),
        "hero_alt": "Protesters with placards",
        "hero_caption": "Outside the lab.",
        "hero_credit": "Photo: Newsroom",
        "closing": "<p>Only by working together.</p>",
        "priority": "2",
        "_save": "Save",
        **inline_rows(
            "bylines",
            [{"author": author_two.pk, "position": 1}, {"author": author_one.pk, "position": 2}],
        ),
        **inline_rows(
            "sections",
            [
                {"heading": "", "body": "<p>The intro.</p>", "position": 1},
                {
                    "heading": "Second part",
                    "body": "<p>More <strong>detail</strong>.</p>",
                    "position": 3,
                },
                {
                    "heading": "First part",
                    "body": "<p>Detail.<script>x()</script></p>",
                    "position": 2,
                },
            ],
        ),
        **inline_rows(
            "takeaways", [{"text": "One.", "position": 1}, {"text": "Two.", "position": 2}]
        ),
        **inline_rows(
            "credits",
            [
                {
                    "role": "Original article and inspiration provided by",
                    "name": "Nitasha Tiku",
                    "organisation": "",
                    "url": "https://example.com/original",
                    "position": 1,
                }
            ],
        ),
        **inline_rows(
            "cta_placements",
            [{"call_to_action": cta.pk, "placement": "after_takeaways", "position": 1}],
        ),
    }
    return data | overrides


def test_editor_creates_a_story_with_every_part_through_the_admin(editor_client):
    response = editor_client.post(ADD_URL, full_story_post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert [b.author.name for b in article.bylines.all()] == ["Bo Chen", "Ana Ruiz"]
    assert [s.heading for s in article.sections.all()] == ["", "First part", "Second part"]
    assert article.sections.get(heading="First part").body == "<p>Detail.</p>"
    assert [t.text for t in article.takeaways.all()] == ["One.", "Two."]
    assert article.credits.get().url == "https://example.com/original"
    assert article.cta_placements.get().placement == "after_takeaways"
    assert sorted(article.tags.names()) == ["AIRevolution", "EthicalAI"]
    assert article.word_count > 0
    assert article.hero_width == 40


def test_admin_refuses_a_javascript_link_in_a_credit(editor_client):
    data = full_story_post()
    data["credits-0-url"] = "javascript:alert(1)"
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert "Enter a web address" in response.content.decode()
    assert not Article.objects.exists()


def test_admin_refuses_a_picture_without_alt_text(editor_client):
    response = editor_client.post(ADD_URL, full_story_post(hero_alt=""))
    assert "Describe the picture" in response.content.decode()
    assert not Article.objects.exists()


def test_admin_refuses_a_file_that_is_not_a_picture(editor_client):
    fake = SimpleUploadedFile("photo.png", b"<html><script>x()</script></html>", "image/png")
    response = editor_client.post(ADD_URL, full_story_post(hero_image=fake))
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not Article.objects.exists()


def test_changelist_queries_do_not_grow_with_the_stories(
    editor_client, django_assert_max_num_queries
):
    make_article(authors=[make_author()])
    with CaptureQueriesContext(connection) as few:
        editor_client.get(CHANGELIST_URL)
    desk = make_desk()
    for _ in range(30):
        make_article(desk=desk, authors=[make_author(), make_author()], tags=["A"])
    with django_assert_max_num_queries(len(few)):
        response = editor_client.get(CHANGELIST_URL)
    assert response.status_code == 200


def test_changelist_search_finds_words_in_the_body(editor_client):
    make_article(headline="Findable")
    make_article(headline="Other")
    story = Article.objects.get(headline="Findable")
    section = story.sections.first()
    section.body = "<p>zeppelin</p>"
    section.save()
    response = editor_client.get(CHANGELIST_URL, {"q": "zeppelin"})
    assert list(response.context["cl"].result_list) == [story]


def test_change_page_queries_do_not_grow_with_the_inlines(editor_client):
    small = make_article(sections=1, takeaways=1, credits=1, ctas=1, authors=[make_author()])
    big = make_article(
        sections=10, takeaways=8, credits=4, ctas=4, authors=[make_author() for _ in range(3)]
    )
    counts = []
    for article in (small, big):
        with CaptureQueriesContext(connection) as queries:
            editor_client.get(reverse("admin:articles_article_change", args=[article.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_change_page_offers_publish_to_an_editor(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    html = editor_client.get(
        reverse("admin:articles_article_change", args=[draft.pk])
    ).content.decode()
    assert reverse("admin:articles_article_transition", args=[draft.pk, "publish"]) in html


def test_change_page_hides_publish_from_a_writer(client, writer):
    client.force_login(writer)
    draft = make_article(status=Article.Status.DRAFT)
    html = client.get(reverse("admin:articles_article_change", args=[draft.pk])).content.decode()
    assert "/transition/" not in html


def test_editor_publishes_from_the_change_page(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_transition", args=[draft.pk, "publish"])
    response = editor_client.post(url)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published


def test_writer_crafting_a_publish_request_gets_403(client, writer):
    client.force_login(writer)
    draft = make_article(status=Article.Status.DRAFT)
    response = client.post(reverse("admin:articles_article_transition", args=[draft.pk, "publish"]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_publish_by_get_changes_nothing(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    response = editor_client.get(
        reverse("admin:articles_article_transition", args=[draft.pk, "publish"])
    )
    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def upload(client, content, name="story.txt"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content, "text/plain")})


def test_import_shows_what_was_parsed_before_saving(editor_client):
    response = upload(editor_client, DEMO_STORIES[0].read_bytes())
    html = response.content.decode()
    assert "Key takeaways (4)" in html
    assert "Save as draft" in html
    assert not Article.objects.exists()


def test_import_confirmation_saves_a_draft_and_opens_it(editor_client):
    preview = upload(editor_client, DEMO_STORIES[0].read_bytes())
    text = preview.context["confirm_form"].initial["text"]
    response = editor_client.post(IMPORT_URL, {"text": text, "confirm": "Save as draft"})
    article = Article.objects.get()
    assert response.url == reverse("admin:articles_article_change", args=[article.pk])
    assert article.status == Article.Status.DRAFT
    assert article.takeaways.count() == 4


def test_import_of_a_bad_file_explains_the_problem(editor_client):
    response = upload(editor_client, b"Only a headline\n")
    assert "only a headline" in response.content.decode()
    assert not Article.objects.exists()


def test_import_of_a_story_whose_address_is_taken_is_refused(editor_client):
    upload_text = DEMO_STORIES[0].read_bytes()
    preview = upload(editor_client, upload_text)
    editor_client.post(
        IMPORT_URL, {"text": preview.context["confirm_form"].initial["text"], "confirm": "1"}
    )
    response = upload(editor_client, upload_text)
    assert "exists already" in response.content.decode()
    assert Article.objects.count() == 1


def test_call_to_action_page_lists_the_stories_using_it(editor_client):
    article = make_article(headline="Uses the block", ctas=1)
    cta = article.cta_placements.get().call_to_action
    response = editor_client.get(reverse("admin:articles_calltoaction_change", args=[cta.pk]))
    assert "Uses the block" in response.content.decode()


def test_author_autocomplete_finds_authors_by_name(editor_client):
    make_author(name="Nitasha Tiku")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "nita", "app_label": "articles", "model_name": "byline", "field_name": "author"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Nitasha Tiku"]
