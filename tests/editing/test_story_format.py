"""The story format's optional parts: the header block, links on arrow lines, formatting."""

import pytest
from django.core.files.base import ContentFile
from django.utils.html import escape

from articles.editing import revisions
from articles.editing.exporters import export_story
from articles.editing.importers import import_story
from articles.editing.story_format import StoryFormatError, parse_story
from articles.models import (
    Article,
    ArticleCallToAction,
    Credit,
    Picture,
    Section,
    sanitize_rich_text,
)
from tests.factories import make_article, make_author, make_cta, make_desk, make_image_upload

pytestmark = pytest.mark.django_db

FORMATTED_INTRO = (
    '<p>The <strong>council</strong> met on <em>Tuesday</em>; read <a href="https://example.com/'
    'minutes?id=4" title="The minutes">the minutes</a> or <a href="tel:+44 20 7946 0000">call'
    "</a>.<br>A second line, 2*3 = 6 and snake_case stay as typed.</p>"
    "<ul><li><p>Bus fares</p></li><li><p>Parks <em>and</em> pools</p></li></ul>"
    '<ol start="3"><li><p>Third item</p></li></ol>'
    "<blockquote><p>We will decide in May.</p><p>And not before.</p></blockquote>"
)


def admin_made_story():
    """A story as editors make it in the admin: every part, links, formatting."""
    article = make_article(
        headline="Council Sets the Budget",
        desk=make_desk(name="Local"),
        authors=[make_author(name="Ana Ruiz"), make_author(name="Tom Reyes")],
        tags=["Budget", "CityHall"],
        sections=0,
        takeaways=2,
        credits=0,
        ctas=0,
        dek="Fares stay, pools open longer.",
        hero_alt="The council chamber from the public gallery.",
        hero_caption="Tuesday's meeting.",
        hero_credit="Photo: Ana Ruiz",
        hero_focus_x=30,
        hero_focus_y=70,
        seo_title="Budget: fares stay",
        seo_description="What the budget means for you.",
        canonical_is_original=True,
        closing="<p>The vote is <strong>final</strong>.</p>",
    )
    article.hero_image.save("hero.png", ContentFile(make_image_upload().read()), save=True)
    for position, (heading, body) in enumerate(
        [
            ("", FORMATTED_INTRO),
            ("What Changes", "<p>Pools open until <em>ten</em>.</p>"),
            ("Read the full report", "<p>Short heading-like line next</p>"),
        ]
    ):
        Section.objects.create(article=article, position=position, heading=heading, body=body)
    Credit.objects.create(
        article=article,
        name="Lena Fisher",
        organisation="The Ledger",
        url="https://ledger.example/budget",
    )
    article.cta_placements.create(
        call_to_action=make_cta(
            text="Get the budget briefing", button_label="Sign up", url="/briefing/"
        ),
        placement=ArticleCallToAction.Placement.AFTER_INTRO,
    )
    article.cta_placements.create(
        call_to_action=make_cta(text="Tell us what you think"), position=1
    )
    return Article.objects.get(pk=article.pk)


def test_admin_made_story_with_every_part_survives_export_then_import():
    article = admin_made_story()
    before = revisions.snapshot(article)
    text = export_story(article)
    article.delete()
    again = import_story(parse_story(text))
    # The same story: only the rows' own ids differ.
    assert revisions.snapshot(again) | {"ids": None} == before | {"ids": None}
    assert export_story(again) == text


def test_export_writes_the_parts_readably():
    text = export_story(admin_made_story())
    for line in [
        "Dek: Fares stay, pools open longer.",
        "Desk: Local",
        "Byline: Ana Ruiz",
        "Byline: Tom Reyes",
        "Hero-focus: 30 70",
        "Canonical: original",
        "- Bus fares",
        "3. Third item",
        "> We will decide in May.",
        "-> Original article and inspiration provided by [Lena Fisher]"
        "(https://ledger.example/budget), The Ledger",
        "-> After the intro: Get the budget briefing [Sign up](/briefing/)",
        "-> Tell us what you think",
    ]:
        assert line in text.splitlines()
    assert "The **council** met on *Tuesday*; read [the minutes](https://example.com/" in text


def test_imported_formatting_is_stored_as_the_admin_stores_it():
    story = parse_story(
        "Headline\nSome **bold**, *italic* and a [link](https://example.com/a).\n- One\n- Two\n"
    )
    intro = import_story(story).sections.get().body
    assert intro == (
        '<p>Some <strong>bold</strong>, <em>italic</em> and a <a href="https://example.com/a">'
        "link</a>.</p><ul><li><p>One</p></li><li><p>Two</p></li></ul>"
    )


def test_subheadings_inside_a_section_are_read_and_written_with_hash_marks():
    story = import_story(
        parse_story("Headline\nThe intro.\nThe Plan\nIt starts.\n### Phase one\nDig.\n#### Costs\n")
    )
    section = story.sections.get(heading="The Plan")
    assert section.body == "<p>It starts.</p><h3>Phase one</h3><p>Dig.</p><h4>Costs</h4>"
    assert "### Phase one\nDig.\n#### Costs" in export_story(story)


def test_a_paragraph_that_starts_with_hash_marks_stays_a_paragraph():
    story = make_article(sections=1)
    story.sections.update(body="<p>### is how Markdown marks a subheading.</p>")
    again = import_story(parse_story(export_story(story)), update=True)
    assert again.sections.get().body == "<p>### is how Markdown marks a subheading.</p>"


def test_header_block_sets_dek_desk_and_bylines():
    article = import_story(
        parse_story("Headline\nDek: In short.\nDesk: Science\nByline: Ana Ruiz\nThe text.\n")
    )
    assert (article.dek, article.desk.name) == ("In short.", "Science")
    assert [author.name for author in article.byline_authors] == ["Ana Ruiz"]


def test_a_first_paragraph_that_looks_like_a_header_line_stays_a_paragraph():
    article = make_article(sections=1, dek="")
    article.sections.update(body="<p>Hero: the firefighter who went back.</p>")
    text = export_story(article)
    assert "Hero\\: the firefighter who went back." in text
    article.delete()
    assert import_story(parse_story(text)).sections.get().body == (
        "<p>Hero: the firefighter who went back.</p>"
    )


def test_closing_without_takeaways_stays_the_closing():
    article = make_article(takeaways=0, closing="<p>The end.</p>")
    text = export_story(article)
    article.delete()
    again = import_story(parse_story(text))
    assert again.closing == "<p>The end.</p>"
    assert "The end." not in again.sections.last().body


def test_a_header_naming_a_picture_not_on_this_site_is_refused():
    with pytest.raises(StoryFormatError, match="line 2: “Hero” names no picture stored"):
        parse_story("Headline\nHero: ../../etc/passwd\nThe text.\n")


def test_a_vague_button_label_in_a_file_is_refused():
    with pytest.raises(StoryFormatError, match="line 3: the button label “Click here”"):
        parse_story("Headline\nThe text.\n-> Talk to us [Click here](https://example.com)\n")


def test_a_dangerous_link_in_a_file_is_refused():
    with pytest.raises(StoryFormatError, match="line 3: the call to action's link"):
        parse_story("Headline\nThe text.\n-> Talk to us [Book a call](javascript:alert)\n")


def test_a_dangerous_link_in_text_stays_text():
    story = parse_story("Headline\nSee [this](javascript:alert(1)) now.\n")
    assert "href" not in import_story(story).sections.get().body


def test_a_call_to_action_line_with_a_button_makes_a_block_with_its_link():
    story = parse_story("Headline\nThe text.\n-> Talk to our desk [Book a call](/call/)\n")
    placed = import_story(story).cta_placements.get()
    cta = placed.call_to_action
    assert (cta.text, cta.button_label, cta.url) == ("Talk to our desk", "Book a call", "/call/")


# --- Library pictures in the text: one Markdown image line each ------------------------------


def library_picture(alt="Boats in the harbour at dawn"):
    picture = Picture(image=make_image_upload(size=(64, 48)), alt=alt)
    picture.save()
    return picture


def figure(picture, *, alt=None, caption="The harbour before the vote."):
    caption_html = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        f'<figure class="figure"><img src="{picture.image.url}" alt="{escape(alt or picture.alt)}" '
        f'width="64" height="48" loading="lazy">{caption_html}</figure>'
    )


def test_a_section_picture_is_written_as_a_markdown_image_line():
    picture = library_picture()
    story = make_article(sections=1)
    story.sections.update(body="<p>Before.</p>" + figure(picture) + "<p>After.</p>")
    lines = export_story(story).splitlines()
    assert "Before." in lines
    assert (
        f'![Boats in the harbour at dawn]({picture.image.url} "The harbour before the vote.")'
        in (lines)
    )


def test_a_section_picture_survives_export_then_import():
    picture = library_picture()
    story = make_article(sections=1)
    body = "<p>Before.</p>" + figure(picture) + "<p>After.</p>"
    story.sections.update(body=body)
    again = import_story(parse_story(export_story(story)), update=True)
    assert again.sections.get().body == body


def test_a_picture_without_a_caption_and_with_brackets_in_its_alt_text_survives():
    picture = library_picture(alt='A sign saying "closed [for now]" \\ shut')
    story = make_article(sections=1)
    body = "<p>Before.</p>" + figure(picture, caption="")
    Section.objects.filter(article=story).update(body=body)
    again = import_story(parse_story(export_story(story)), update=True)
    assert again.sections.get().body == sanitize_rich_text(body)


def test_a_picture_line_naming_no_library_picture_is_refused():
    with pytest.raises(StoryFormatError, match=r"line 3: .* is no picture in the library"):
        parse_story("Headline\nThe intro.\n![A crowd](/media/stories/2026/01/elsewhere.png)\n")


def test_a_picture_line_without_alt_text_is_refused():
    picture = library_picture()
    with pytest.raises(StoryFormatError, match="line 3: a picture needs alt text"):
        parse_story(f"Headline\nThe intro.\n![]({picture.image.url})\n")


def test_a_picture_line_is_never_taken_for_a_section_heading():
    picture = library_picture()
    story = parse_story(f"Headline\nThe intro.\n![Boats]({picture.image.url})\n")
    assert [section.heading for section in story.sections] == [""]
