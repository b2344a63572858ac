"""Rich text is cleaned to the editor's allow-list when it is saved, whatever is POSTed,
and link fields take only http(s), mailto, tel and paths on this site.

What is checked is the stored value: the reader pages print it as it is (`|safe`), so it
must already be harmless in the database, whichever way it got there (the admin's forms,
code that saves a section, a restored revision, an imported story file).
"""

import re

import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from articles.editing import revisions
from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.editing.validators import validate_link_url
from articles.models import Article, Author, CallToAction, Credit, Section, sanitize_rich_text
from articles.moderation import workflow
from articles.moderation.quality import check_quality
from tests.factories import call_to_action_form, make_article, make_cta
from tests.security.test_xss import injected_markup, inline_rows

pytestmark = pytest.mark.django_db

# What the editor's toolbar can make (RICH_TEXT_EXTENSIONS in articles/models/text.py), and
# nothing else.
ALLOWED_TAGS = {"p", "h3", "h4", "strong", "em", "a", "ul", "ol", "li", "blockquote", "br"}
ALLOWED_TAGS |= {"figure", "img", "figcaption"}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "rel"},
    "ol": {"type", "data-type", "start"},
    "figure": {"class"},
    "img": {"src", "alt", "width", "height", "data-file", "loading"},
}
# A picture comes from this site's media storage, never another site (CSP: img-src 'self').
MEDIA_PATH = re.compile(r"^/media/[\w/.-]+$")
# A <img> the library does not hold is refused at the form rather than quietly dropped.
PICTURE_REFUSAL = "Pictures come from the picture library"
LINK_SCHEMES = {"http", "https", "mailto", "tel"}
# Browsers drop these from a URL before reading its scheme ("java\tscript:" is javascript:).
IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")

# Each is POSTed after a paragraph of ordinary text, which must survive the cleaning.
HOSTILE_RICH_TEXT = {
    "script": "<script>xssprobe()</script>",
    "script-after-text": "<p>words</p><script>xssprobe()</script>",
    "img-onerror": "<img src=x onerror=xssprobe()>",
    "svg-onload": "<svg/onload=xssprobe()>",
    "svg-script": "<svg><script>xssprobe()</script></svg>",
    "iframe-javascript": '<iframe src="javascript:xssprobe()"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>xssprobe()</script>"></iframe>',
    "object": '<object data="javascript:xssprobe()"></object>',
    "embed": '<embed src="javascript:xssprobe()">',
    "event-handler": '<p onmouseover="xssprobe()">words</p>',
    "link-event-handler": '<a href="https://example.com" onclick="xssprobe()">words</a>',
    "style-attribute": '<p style="background:url(javascript:xssprobe())">words</p>',
    "style-element": "<style>@import 'javascript:xssprobe()';</style>",
    "link-target-blank": '<a href="https://example.com" target="_blank">words</a>',
    "javascript-link": '<a href="javascript:xssprobe()">words</a>',
    "mixed-case": '<a href="JaVaScRiPt:xssprobe()">words</a>',
    "tab-entity": '<a href="java&#x09;script:xssprobe()">words</a>',
    "tab-named-entity": '<a href="java&Tab;script:xssprobe()">words</a>',
    "newline-entity": '<a href="jav&#x0A;ascript:xssprobe()">words</a>',
    "decimal-entities": '<a href="&#106;avascript:xssprobe()">words</a>',
    "hex-entities": '<a href="&#x6A;&#x61;vascript:xssprobe()">words</a>',
    "zero-padded-entities": '<a href="&#0000106;avascript:xssprobe()">words</a>',
    "leading-space": '<a href=" javascript:xssprobe()">words</a>',
    "leading-control": '<a href="\x01javascript:xssprobe()">words</a>',
    "raw-newline": '<a href="java\nscript:xssprobe()">words</a>',
    "unquoted": "<a href=javascript:xssprobe()>words</a>",
    "data-html": '<a href="data:text/html,<script>xssprobe()</script>">words</a>',
    "data-base64": '<a href="data:text/html;base64,PHNjcmlwdD54c3M8L3NjcmlwdD4=">words</a>',
    "vbscript": '<a href="vbscript:xssprobe()">words</a>',
    "malformed-link": '<a href="javascript:xssprobe()"<b>words</b>',
    "unclosed-attribute": '<a href="javascript:xssprobe()>words</a>',
    "nested-tag-evasion": "<scr<script>ipt>xssprobe()</scr</script>ipt>",
    "double-bracket": "<<script>script>xssprobe()<</script>/script>",
    "math-mutation": "<math><mtext><table><mglyph><style><img src=x onerror=xssprobe()>",
    "math-xlink": '<math><mi xlink:href="javascript:xssprobe()">words</mi></math>',
    "noscript-mutation": '<noscript><p title="</noscript><img src=x onerror=xssprobe()>">',
    "svg-foreign-style": "<svg><p><style><img src=x onerror=xssprobe()></style></p></svg>",
    "form-action": '<form action="javascript:xssprobe()"><button>words</button></form>',
    "button-formaction": '<button formaction="javascript:xssprobe()">words</button>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:xssprobe()">',
    "base-href": '<base href="javascript:xssprobe()//">',
    "comment-hidden": "<!--<img src=x onerror=xssprobe()>-->",
    "conditional-comment": "<!--[if IE]><script>xssprobe()</script><![endif]-->",
    "cdata": "<![CDATA[<script>xssprobe()</script>]]>",
    "template": "<template><img src=x onerror=xssprobe()></template>",
    "details-ontoggle": "<details open ontoggle=xssprobe()>words</details>",
    "unclosed-nesting": "<p>words <strong>bold <em>both</p></strong>",
    "stray-closing-tags": "</p></li></ol><p>words</p></blockquote>",
}
SAFE_TEXT = "<p>The council met on Tuesday.</p>"


def unsafe_parts(html: str) -> list[str]:
    """Return what in stored rich text is outside the allow-list (empty when clean)."""
    if not html.strip():
        return []
    found = []
    for element in lxml.html.fragment_fromstring(html, create_parent="div").iterdescendants():
        if not isinstance(element.tag, str):
            found.append("a comment")
            continue
        if element.tag not in ALLOWED_TAGS:
            found.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name not in ALLOWED_ATTRIBUTES.get(element.tag, set()):
                found.append(f"<{element.tag} {name}>")
            if name == "href" and not is_allowed_link(value):
                found.append(f"<a href={value!r}>")
            if name == "src" and not (MEDIA_PATH.match(value) and ".." not in value):
                found.append(f"<img src={value!r}>")
    return found


def is_allowed_link(value: str) -> bool:
    address = IGNORED_IN_URLS.sub("", value).lower()
    scheme = SCHEME.match(address)
    return scheme.group(1) in LINK_SCHEMES if scheme else True


def cleaned_of(hostile: str) -> list[str]:
    return unsafe_parts(sanitize_rich_text(hostile))


@pytest.fixture(params=list(HOSTILE_RICH_TEXT.values()), ids=list(HOSTILE_RICH_TEXT))
def hostile_html(request):
    return request.param


# --- The judge, first: it must catch what it is meant to catch -----------------------------


def test_the_judge_finds_scripts_handlers_and_bad_links():
    assert unsafe_parts('<p onclick="x()"><script>x()</script></p>') == [
        "<p onclick>",
        "<script>",
    ]
    assert unsafe_parts('<a href=" JaVa\tScRiPt:x()">x</a>') == ["<a href=' JaVa\\tScRiPt:x()'>"]


def test_the_allow_list_keeps_everything_the_toolbar_makes():
    html = (
        "<p><strong>Bold</strong>, <em>italic</em>,<br>"
        '<a href="https://example.com/a?b=c" title="Source">a link</a>, '
        '<a href="mailto:desk@example.com">mail</a>, <a href="tel:+44 20 7946 0000">call</a>, '
        '<a href="/stories/other/">another story</a>.</p>'
        '<ul><li><p>One</p></li></ul><ol start="3"><li><p>Three</p></li></ol>'
        "<blockquote><p>Quoted</p></blockquote>"
        "<h3>A subheading</h3><h4>A smaller one</h4>"
    )
    assert sanitize_rich_text(html) == html


def test_the_allow_list_keeps_a_picture_with_its_caption_and_loads_it_lazily():
    html = (
        '<figure class="figure"><img src="/media/stories/2026/12/boats.png" alt="Boats" '
        'width="640" height="400"><figcaption>The harbour at <em>dawn</em>.</figcaption></figure>'
    )
    assert sanitize_rich_text(html) == html.replace('height="400"', 'height="400" loading="lazy"')


def test_sanitiser_drops_a_picture_from_another_site():
    hot_linked = '<p>Text</p><figure><img src="https://elsewhere.example/a.png" alt="A"></figure>'
    assert sanitize_rich_text(hot_linked) == "<p>Text</p>"


def test_sanitiser_drops_a_picture_outside_the_media_folder():
    assert sanitize_rich_text('<p>T</p><img src="/admin/logout/" alt="A">') == "<p>T</p>"
    assert sanitize_rich_text('<p>T</p><img src="/media/../settings.py" alt="A">') == "<p>T</p>"


def test_sanitiser_strips_a_pictures_handlers_and_keeps_the_picture():
    html = '<img src="/media/stories/a.png" alt="A" onerror="xssprobe()" onload="xssprobe()">'
    assert sanitize_rich_text(html) == '<img src="/media/stories/a.png" alt="A" loading="lazy">'


def test_text_pasted_from_word_keeps_its_words_and_drops_its_formatting_code():
    pasted = (
        '<p class="MsoNormal" style="margin:0cm"><span lang="EN-GB" style="mso-bidi-font-family:'
        'Calibri">Council <strong>approves</strong> the plan<o:p></o:p></span></p>'
        "<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]-->"
        '<h3 style="mso-outline-level:3"><font face="Arial">What happens next</font></h3>'
    )
    assert sanitize_rich_text(pasted) == (
        "<p>Council <strong>approves</strong> the plan</p><h3>What happens next</h3>"
    )


def test_text_pasted_from_google_docs_loses_its_wrapper_and_spans():
    pasted = (
        '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1a2b">'
        '<p dir="ltr" style="line-height:1.38"><span style="font-size:11pt;font-family:Arial">'
        "Residents <em>welcomed</em> it.</span></p></b>"
    )
    assert sanitize_rich_text(pasted) == "<p>Residents <em>welcomed</em> it.</p>"


def test_heading_levels_that_would_break_the_page_outline_are_dropped():
    # A section's own heading is the page's <h2>: inside it, only <h3> and <h4>.
    assert sanitize_rich_text("<h2>Big</h2><h5>Small</h5><p>Text</p>") == "BigSmall<p>Text</p>"


# --- The sanitiser itself, over every payload -----------------------------------------------


def test_sanitiser_leaves_nothing_outside_the_allow_list(hostile_html):
    assert cleaned_of(SAFE_TEXT + hostile_html) == []


def test_sanitiser_keeps_the_ordinary_text_beside_a_payload(hostile_html):
    assert sanitize_rich_text(SAFE_TEXT + hostile_html).startswith(SAFE_TEXT)


def test_sanitised_text_renders_without_injected_markup(hostile_html):
    page = f"<html><body><div>{sanitize_rich_text(SAFE_TEXT + hostile_html)}</div></body></html>"
    assert injected_markup(page) == []


def test_sanitising_twice_changes_nothing(hostile_html):
    # Stored HTML is cleaned again at every save; a second pass must not undo the first.
    once = sanitize_rich_text(hostile_html)
    assert sanitize_rich_text(once) == once


# --- Whatever is POSTed through the admin is stored clean ---------------------------------


def story_post(*, body: str, closing: str, author=None) -> dict:
    author = author or Author.objects.create(name="Ana Ruiz", slug="ana-ruiz")
    return {
        "headline": "Council meets",
        "slug": "council-meets",
        "dek": "A meeting.",
        "closing": closing,
        "priority": "2",
        "hero_focus_x": "50",
        "hero_focus_y": "50",
        "_save": "Save",
        **inline_rows("bylines", [{"author": author.pk, "position": 1}]),
        **inline_rows(
            "sections",
            [
                {"heading": "", "body": body, "position": 1},
                {"heading": "What happened", "body": body, "position": 2},
            ],
        ),
        **inline_rows("takeaways", []),
        **inline_rows("credits", []),
        **inline_rows("cta_placements", []),
        **inline_rows("read_next", []),
    }


def post_story(client, **fields) -> Article | None:
    """POST the add form; return the story, or None when the form refused a picture in it."""
    response = client.post(reverse("admin:articles_article_add"), story_post(**fields))
    if response.status_code == 200 and PICTURE_REFUSAL in response.content.decode():
        assert not Article.objects.exists()
        return None
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Article.objects.get(slug="council-meets")


def refused_or_none(article, hostile_html) -> bool:
    # Only a payload with an <img> may be refused outright (it names no library picture).
    assert article is not None or "<img" in hostile_html
    return article is None


def test_section_bodies_posted_through_the_admin_are_stored_clean(editor_client, hostile_html):
    article = post_story(editor_client, body=SAFE_TEXT + hostile_html, closing="")
    if refused_or_none(article, hostile_html):
        return
    bodies = list(article.sections.values_list("body", flat=True))
    assert [unsafe_parts(body) for body in bodies] == [[], []]
    assert all(body.startswith(SAFE_TEXT) for body in bodies)


def test_closing_posted_through_the_admin_is_stored_clean(editor_client, hostile_html):
    article = post_story(editor_client, body=SAFE_TEXT, closing=SAFE_TEXT + hostile_html)
    if refused_or_none(article, hostile_html):
        return
    assert unsafe_parts(article.closing) == []
    assert article.closing.startswith(SAFE_TEXT)


def test_rich_text_posted_to_an_existing_story_is_stored_clean(editor_client, hostile_html):
    article = post_story(editor_client, body=SAFE_TEXT, closing="")
    section = article.sections.get(position=1)
    byline = article.bylines.get()
    post = story_post(body=SAFE_TEXT, closing=SAFE_TEXT + hostile_html, author=byline.author)
    data = post | {
        "loaded_version": str(Article.objects.get(pk=article.pk).version),
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "1",
        "sections-0-id": str(section.pk),
        "sections-0-article": str(article.pk),
        "sections-0-heading": "",
        "sections-0-body": SAFE_TEXT + hostile_html,
        "sections-0-position": "1",
        "bylines-TOTAL_FORMS": "1",
        "bylines-INITIAL_FORMS": "1",
        "bylines-0-id": str(byline.pk),
        "bylines-0-article": str(article.pk),
    }
    response = editor_client.post(reverse("admin:articles_article_change", args=[article.pk]), data)
    if response.status_code == 200 and PICTURE_REFUSAL in response.content.decode():
        assert "<img" in hostile_html
        return
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert unsafe_parts(article.closing) == []
    assert unsafe_parts(article.sections.get(pk=section.pk).body) == []
    assert article.sections.get(pk=section.pk).body.startswith(SAFE_TEXT)


def test_rich_text_saved_by_code_is_stored_clean(hostile_html):
    # Not only forms: Section.save and Article.save clean what any code hands them.
    article = make_article(sections=0, closing=SAFE_TEXT + hostile_html)
    section = Section.objects.create(article=article, body=SAFE_TEXT + hostile_html)
    article.refresh_from_db()
    section.refresh_from_db()
    assert unsafe_parts(article.closing) == []
    assert unsafe_parts(section.body) == []


def test_posted_payload_never_reaches_the_reader_page(client, editor_client, editor, hostile_html):
    article = post_story(editor_client, body=SAFE_TEXT + hostile_html, closing=hostile_html)
    if refused_or_none(article, hostile_html):
        return
    workflow.take("publish", article, by=editor, note="No takeaways in this test.")
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert injected_markup(response.content.decode()) == []


# --- Other ways in: revisions and imported files ------------------------------------------


def tampered_revision(article, hostile: str):
    """A revision whose snapshot holds raw HTML, as one saved before a stricter allow-list
    (or restored from an old backup) would."""
    revision = revisions.record(article)
    snapshot = revision.snapshot
    snapshot["closing"] = SAFE_TEXT + hostile
    snapshot["sections"] = [{"heading": "", "anchor": "", "body": SAFE_TEXT + hostile}]
    revision.snapshot = snapshot
    revision.save()
    return revision


def test_restoring_a_revision_stores_its_rich_text_clean(editor, hostile_html):
    article = make_article(sections=1)
    revision = tampered_revision(article, hostile_html)
    revisions.revert(revision, by=editor)
    article.refresh_from_db()
    assert unsafe_parts(article.closing) == []
    assert [unsafe_parts(s.body) for s in article.sections.all()] == [[]]


def test_revision_preview_shows_old_rich_text_clean(editor_client, hostile_html):
    article = make_article(sections=1)
    revision = tampered_revision(article, hostile_html)
    url = reverse("admin:articles_article_revision_preview", args=[article.pk, revision.version])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert injected_markup(response.content.decode()) == []


# A story file is plain text, one paragraph a line: no control characters, no line breaks.
IMPORTABLE = {name: html for name, html in HOSTILE_RICH_TEXT.items() if html.isprintable()}


@pytest.mark.parametrize("hostile", list(IMPORTABLE.values()), ids=list(IMPORTABLE))
def test_imported_story_keeps_markup_in_its_text_as_text(editor, hostile):
    lines = ["Council meets", f"The intro {hostile}.", "Key Takeaways", "1. One."]
    article = import_story(parse_story("\n".join([*lines, f"The end {hostile}."])), by=editor)
    intro = article.sections.get().body
    assert [unsafe_parts(article.closing), unsafe_parts(intro)] == [[], []]
    assert lxml.html.fragment_fromstring(intro).text_content() == f"The intro {hostile}."


# --- Link fields: http(s), mailto, tel and paths on this site ------------------------------

ACCEPTED_LINKS = [
    "https://example.com/a?b=c",
    "http://example.com",
    "HTTPS://EXAMPLE.COM/",
    "mailto:desk@example.com",
    "tel:+44 20 7946 0000",
    "/",
    "/about/",
    "/tags/ethical-ai/?page=2#top",
]
REFUSED_LINKS = {
    "javascript": "javascript:alert(1)",
    "mixed-case": "JaVaScRiPt:alert(1)",
    "leading-space": " javascript:alert(1)",
    "leading-control": "\x01javascript:alert(1)",
    "tab-inside": "java\tscript:alert(1)",
    "newline-inside": "java\nscript:alert(1)",
    "tab-entity": "java&#x09;script:alert(1)",
    "decimal-entity": "&#106;avascript:alert(1)",
    "javascript-comment": "javascript://example.com/%0Aalert(1)",
    "data-html": "data:text/html,<script>alert(1)</script>",
    "data-base64": "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript": "vbscript:msgbox(1)",
    "file": "file:///etc/passwd",
    "ftp": "ftp://example.com",
    "about": "about:blank",
    "protocol-relative": "//evil.example",
    "triple-slash": "///evil.example",
    "slash-backslash": "/\\evil.example",
    "backslashes": "\\\\evil.example",
    "slash-tab-slash": "/\t/evil.example",
    "slash-newline-slash": "/\n/evil.example",
    "path-with-space": "/about us/",
    "bare-host": "example.com",
    "web-without-host": "https://",
    "web-with-space": "https://exa mple.com",
    "mailto-without-address": "mailto:nobody",
    "mailto-javascript": "mailto:javascript:alert(1)",
    "tel-words": "tel:call-me",
    "tel-javascript": "tel:javascript:alert(1)",
}


@pytest.mark.parametrize("url", ACCEPTED_LINKS)
def test_link_field_accepts_web_mail_phone_and_site_paths(url):
    validate_link_url(url)


@pytest.mark.parametrize("url", list(REFUSED_LINKS.values()), ids=list(REFUSED_LINKS))
def test_link_field_refuses_other_schemes_and_other_sites_posing_as_paths(url):
    with pytest.raises(ValidationError):
        validate_link_url(url)


def credit_post(url: str) -> dict:
    return story_post(body=SAFE_TEXT, closing="") | inline_rows(
        "credits",
        [{"role": "By", "name": "Ana Ruiz", "organisation": "", "url": url, "position": 1}],
    )


@pytest.mark.parametrize("url", list(REFUSED_LINKS.values()), ids=list(REFUSED_LINKS))
def test_admin_refuses_a_credit_link_it_must_not_store(editor_client, url):
    response = editor_client.post(reverse("admin:articles_article_add"), credit_post(url))
    assert response.status_code == 200
    assert "Enter a web address" in response.content.decode()
    assert not Article.objects.exists()


def test_admin_stores_a_credit_link_to_a_path_on_this_site(editor_client):
    response = editor_client.post(reverse("admin:articles_article_add"), credit_post("/about/"))
    assert response.status_code == 302
    assert Credit.objects.get().url == "/about/"


@pytest.mark.parametrize("url", list(REFUSED_LINKS.values()), ids=list(REFUSED_LINKS))
def test_admin_refuses_a_call_to_action_link_it_must_not_store(client, superuser, url):
    client.force_login(superuser)
    response = client.post(reverse("admin:articles_calltoaction_add"), call_to_action_form(url=url))
    assert response.status_code == 200
    assert "Enter a web address" in response.content.decode()
    assert not CallToAction.objects.exists()


def test_admin_stores_a_call_to_action_link_to_a_path_on_this_site(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:articles_calltoaction_add"), call_to_action_form(url="/newsletter/")
    )
    assert response.status_code == 302
    assert CallToAction.objects.get().url == "/newsletter/"


def test_quality_gate_takes_a_call_to_action_linking_to_a_path_on_this_site():
    article = make_article(ctas=0)
    cta = make_cta(button_label="Join the newsletter", url="/newsletter/")
    article.cta_placements.create(call_to_action=cta)
    assert check_quality(article).errors == []


def test_canonical_link_to_an_original_on_this_site_is_absolute(client):
    article = make_article(credits=0, canonical_is_original=True)
    Credit.objects.create(article=article, name="Ana Ruiz", url="/stories/the-original/")
    content = client.get(article.get_absolute_url()).content.decode()
    canonical = lxml.html.document_fromstring(content).xpath("//link[@rel='canonical']/@href")
    assert canonical == ["http://testserver/stories/the-original/"]
