import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from articles.editing import revisions
from articles.models import Article, Section
from tests.factories import make_article, make_author
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
Status = Article.Status


@pytest.fixture
def story(writer):
    article = make_article(
        headline="The first headline",
        status=Status.DRAFT,
        published_at=None,
        created_by=writer,
        tags=["Alpha"],
    )
    revisions.record(article, by=writer, summary="First")
    return article


def edit(article, *, headline, body):
    article.headline = headline
    article.save()
    section = article.sections.first()
    section.body = body
    section.save()
    article.tags.add("Beta")
    return revisions.record(article, summary="Second")


def test_each_record_is_a_new_version_with_every_part(story):
    second = edit(story, headline="A second headline", body="<p>New words.</p>")
    assert [r.version for r in story.revisions.all()] == [2, 1]
    assert second.snapshot["headline"] == "A second headline"
    assert second.snapshot["sections"][0]["body"] == "<p>New words.</p>"
    assert second.snapshot["tags"] == ["Alpha", "Beta"]
    assert len(second.snapshot["takeaways"]) == 2


def test_diff_names_the_changed_parts_and_marks_words(story):
    first = story.revisions.get(version=1)
    second = edit(story, headline="The second headline", body="<p>New words.</p>")
    changes = {c.part: c for c in revisions.diff(first.snapshot, second.snapshot)}
    assert set(changes) == {"Headline", "Section 1", "Hashtags"}
    assert str(changes["Headline"].html) == "The <del>first</del><ins>second</ins> headline"


def test_diff_escapes_what_editors_typed(story):
    first = story.revisions.get(version=1)
    second = edit(story, headline="Rates < 5% & falling <script>x()</script>", body="<p>x</p>")
    html = str(
        {c.part: c for c in revisions.diff(first.snapshot, second.snapshot)}["Headline"].html
    )
    assert "<script>" not in html
    assert "<ins>&lt;</ins>" in html
    assert "5% &amp; falling" in html


def test_restore_puts_back_every_part_as_a_new_version(story, writer):
    first = story.revisions.get(version=1)
    edit(story, headline="Changed", body="<p>Changed.</p>")
    Section.objects.create(article=story, position=9, heading="Extra", body="<p>More.</p>")
    restored = revisions.revert(first, by=writer)
    story.refresh_from_db()
    assert restored.version == 3
    assert story.headline == "The first headline"
    assert [s.heading for s in story.sections.all()] == [
        s["heading"] for s in first.snapshot["sections"]
    ]
    assert list(story.tags.names()) == ["Alpha"]
    assert revisions.diff(first.snapshot, restored.snapshot) == []


def test_restore_skips_an_author_deleted_since(story, writer):
    gone = make_author(name="Gone Author")
    story.bylines.create(author=gone, position=5)
    snapshot_with_gone = revisions.record(story, by=writer)
    story.bylines.filter(author=gone).delete()
    gone.delete()
    revisions.revert(snapshot_with_gone, by=writer)
    assert "Gone Author" not in [b.author.name for b in story.bylines.all()]


def test_only_someone_who_may_edit_can_restore(story, other_writer):
    with pytest.raises(PermissionDenied):
        revisions.revert(story.revisions.get(version=1), by=other_writer)


def test_old_revisions_address_leads_to_the_storys_history(client, editor, story):
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_revisions", args=[story.pk]))
    assert response.status_code == 302
    assert response.url == reverse("admin:articles_article_history", args=[story.pk])


def test_old_revisions_address_still_refuses_another_writer(client, other_writer, story):
    client.force_login(other_writer)
    response = client.get(reverse("admin:articles_article_revisions", args=[story.pk]))
    assert response.status_code == 403


def test_admin_history_lists_revisions_and_shows_a_readable_diff(client, editor, story):
    edit(story, headline="The second headline", body="<p>New words.</p>")
    client.force_login(editor)
    listing = client.get(reverse("admin:articles_article_history", args=[story.pk]))
    assert "Version 2 saved: Second" in visible_text(listing.content.decode())
    page = client.get(reverse("admin:articles_article_revision", args=[story.pk, 2]))
    assert "The <del>first</del><ins>second</ins> headline" in page.content.decode()


def test_revision_page_leads_back_to_the_history(client, editor, story):
    client.force_login(editor)
    page = client.get(reverse("admin:articles_article_revision", args=[story.pk, 1]))
    assert reverse("admin:articles_article_history", args=[story.pk]) in page.content.decode()


def test_admin_restores_a_revision(client, editor, story):
    edit(story, headline="Changed", body="<p>Changed.</p>")
    client.force_login(editor)
    client.post(reverse("admin:articles_article_revision_restore", args=[story.pk, 1]))
    story.refresh_from_db()
    assert story.headline == "The first headline"


def test_revision_preview_shows_the_old_version_at_the_reader_layout(client, editor, story):
    edit(story, headline="Changed", body="<p>Changed.</p>")
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_revision_preview", args=[story.pk, 1]))
    text = visible_text(response.content.decode())
    assert "The first headline" in text
    assert "Preview — not published." in text
    assert "no-store" in response["Cache-Control"]


def test_writer_cannot_restore_another_writers_revision(client, other_writer, story):
    client.force_login(other_writer)
    response = client.post(reverse("admin:articles_article_revision_restore", args=[story.pk, 1]))
    assert response.status_code == 403
