"""Library pictures and story links inside a section: checked at save, shown everywhere."""

import json

import feedparser
import lxml.html
import pytest
from django.urls import reverse, reverse_lazy

from articles.models import Picture
from tests.factories import make_article, make_image_upload, make_user, refresh_after_edit
from tests.security.test_richtext import story_post

pytestmark = pytest.mark.django_db

LINK_CHOOSER = reverse_lazy("admin:articles_article_link_choose")


def library_picture(alt="Boats in the harbour at dawn") -> Picture:
    picture = Picture(image=make_image_upload(size=(64, 48)), alt=alt)
    picture.save()
    return picture


def figure(src: str, alt: str, caption="The harbour before the vote.") -> str:
    return (
        f'<figure class="figure"><img src="{src}" alt="{alt}" width="64" height="48">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def post_section(client, body: str):
    return client.post(reverse("admin:articles_article_add"), story_post(body=body, closing=""))


def section_errors(response) -> str:
    assert response.status_code == 200  # the form again, with its errors
    return " ".join(
        str(error)
        for formset in response.context["inline_admin_formsets"]
        for form_errors in formset.formset.errors
        for error in form_errors.values()
    )


# --- At save: alt text required, only library pictures ---------------------------------------


def test_section_with_a_library_picture_is_saved_with_its_caption(editor_client):
    picture = library_picture()
    response = post_section(editor_client, "<p>Before.</p>" + figure(picture.image.url, "Boats"))
    assert response.status_code == 302
    body = picture.stories().get().sections.first().body
    assert "<figcaption>The harbour before the vote.</figcaption>" in body
    assert f'<img src="{picture.image.url}" alt="Boats" width="64" height="48"' in body


def test_picture_without_alt_text_is_a_form_error_on_its_section(editor_client):
    picture = library_picture()
    response = post_section(editor_client, "<p>Before.</p>" + figure(picture.image.url, " "))
    assert "Every picture needs alt text" in section_errors(response)
    assert not picture.stories().exists()


def test_picture_from_another_site_is_a_form_error(editor_client):
    response = post_section(
        editor_client, "<p>Before.</p>" + figure("https://elsewhere.example/boats.jpg", "Boats")
    )
    assert "Pictures come from the picture library" in section_errors(response)


def test_file_in_the_media_folder_that_is_not_a_library_picture_is_a_form_error(editor_client):
    response = post_section(
        editor_client, figure("/media/stories/2026/01/" + "0" * 32 + ".png", "Boats")
    )
    assert "Pictures come from the picture library" in section_errors(response)


def test_script_and_handlers_around_a_library_picture_are_stripped(editor_client):
    picture = library_picture()
    hostile = (
        f'<figure onclick="xssprobe()"><img src="{picture.image.url}" alt="Boats" '
        'onerror="xssprobe()"><figcaption>Caption<script>xssprobe()</script></figcaption>'
        "</figure>"
    )
    assert post_section(editor_client, hostile).status_code == 302
    body = picture.stories().get().sections.first().body
    assert "xssprobe" not in body
    assert "<figcaption>Caption</figcaption>" in body


# --- The internal-link chooser ------------------------------------------------------------


def test_link_chooser_finds_stories_by_headline_with_their_reader_address(editor_client):
    ferry = make_article(headline="Harbour ferry returns after twenty years")
    make_article(headline="Council budget approved")
    results = editor_client.get(LINK_CHOOSER, {"q": "ferry harbour"}).json()["results"]
    assert results == [
        {
            "headline": "Harbour ferry returns after twenty years",
            "url": ferry.get_absolute_url(),
            "status": "Published",
        }
    ]


def test_link_chooser_shows_a_writer_only_the_stories_they_may_see(client, writer):
    make_article(headline="Someone else's ferry story")
    make_article(headline="My ferry draft", status="draft", created_by=writer)
    client.force_login(writer)
    results = client.get(LINK_CHOOSER, {"q": "ferry"}).json()["results"]
    assert [story["headline"] for story in results] == ["My ferry draft"]


def test_link_chooser_sends_someone_not_logged_in_to_the_login_page(client):
    response = client.get(LINK_CHOOSER, {"q": "ferry"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


# --- Downstream: feeds, search, structured data ---------------------------------------------


def story_with_picture(picture, caption="Lighthouse keepers wave at dawn."):
    story = make_article(headline="Harbour plan approved", sections=1)
    section = story.sections.get()
    section.body = '<p>See <a href="/stories/other/">the other story</a>.</p>' + figure(
        picture.image.url, picture.alt, caption
    )
    section.save()
    refresh_after_edit(story)
    return story


def test_full_text_feed_gives_pictures_and_links_full_addresses(client, settings):
    settings.FEEDS_FULL_TEXT = True
    picture = library_picture()
    story_with_picture(picture)
    feed = feedparser.parse(client.get(reverse("feed_rss")).content)
    html = lxml.html.fragment_fromstring(feed.entries[0].description, create_parent="div")
    assert html.xpath("//img/@src") == [settings.SITE_URL + picture.image.url]
    assert html.xpath("//a/@href") == [settings.SITE_URL + "/stories/other/"]


def test_search_finds_a_story_by_the_words_of_a_picture_caption(client):
    story_with_picture(library_picture())
    response = client.get(reverse("articles:search"), {"q": "lighthouse keepers"})
    assert "Harbour plan approved" in response.content.decode()


def test_structured_data_lists_the_section_pictures(client):
    picture = library_picture()
    story = story_with_picture(picture)
    page = lxml.html.fromstring(client.get(story.get_absolute_url()).content)
    data = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)
    article = next(item for item in data["@graph"] if item["@type"] == "NewsArticle")
    assert "http://testserver" + picture.image.url in article["image"]


def test_reader_page_draws_the_picture_lazily_at_its_own_size(client):
    picture = library_picture()
    story = story_with_picture(picture)
    page = lxml.html.fromstring(client.get(story.get_absolute_url()).content)
    image = page.xpath("//figure[@class='figure']/img")[0]
    assert (image.get("alt"), image.get("width"), image.get("loading")) == (
        picture.alt,
        "64",
        "lazy",
    )
    assert page.xpath("//figure[@class='figure']/figcaption/text()") == [
        "Lighthouse keepers wave at dawn."
    ]


def test_someone_not_on_the_staff_is_refused_the_link_chooser(client):
    client.force_login(make_user("reader", staff=False))
    assert client.get(LINK_CHOOSER).status_code == 302
