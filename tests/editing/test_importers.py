import re

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.editing.exporters import export_story
from articles.editing.importers import import_story
from articles.editing.story_format import (
    MAX_STORY_BYTES,
    ParsedCallToAction,
    ParsedCredit,
    ParsedSection,
    ParsedStory,
    StoryFormatError,
    parse_story,
)
from articles.models import Article, ArticleCallToAction
from tests.conftest import DEMO_STORIES

REFERENCE_SLUG = "the-ai-revolution-artists-protest-openais-video-generation-model-sora"


def normalised(text):
    return "\n".join(line.strip() for line in text.splitlines() if line.strip()) + "\n"


def test_reference_story_parts_are_recognised(reference_story_text):
    story = parse_story(reference_story_text)
    assert story.headline.startswith("The AI Revolution")
    assert [section.heading for section in story.sections] == [
        "",
        "Artists’ Concerns and the Leaked Access",
        "OpenAI’s Response and the Ethical Debate",
        "The Future of AI and Creative Industries",
    ]
    assert [len(section.paragraphs) for section in story.sections] == [2, 2, 2, 2]
    assert len(story.takeaways) == 4
    assert len(story.closing) == 1
    assert story.tags == ["AIRevolution", "ArtistsProtest", "EthicalAI", "CreativeIndustries"]
    assert story.credits == [
        ParsedCredit(role="Original article and inspiration provided by", name="Nitasha Tiku")
    ]
    assert story.calls_to_action == [
        ParsedCallToAction("Connect with one of our AI Strategists today at Opahl Technologies")
    ]


@pytest.mark.django_db
def test_reference_story_import_then_export_gives_the_same_text(reference_story_text):
    article = import_story(parse_story(reference_story_text))
    assert export_story(article) == normalised(reference_story_text)


@pytest.mark.django_db
@pytest.mark.parametrize("path", DEMO_STORIES, ids=lambda path: path.stem)
def test_demo_story_import_then_export_gives_the_same_text(path):
    text = path.read_text(encoding="utf-8")
    assert export_story(import_story(parse_story(text))) == normalised(text)


@pytest.mark.django_db
def test_import_command_prints_the_story_url_and_publishes(tmp_path, capsys):
    call_command("import_article", str(DEMO_STORIES[0]), "--publish")
    article = Article.objects.get()
    assert article.get_absolute_url() in capsys.readouterr().out
    assert article.is_published


@pytest.mark.django_db
def test_import_without_publish_leaves_a_draft():
    call_command("import_article", str(DEMO_STORIES[0]))
    assert Article.objects.get().status == Article.Status.DRAFT


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


BAD_FILES = {
    "empty": (b"", "empty"),
    "blank-lines-only": (b"\n  \n\n", "empty"),
    "not-utf8": ("Headline\nCaf\xe9 society is back.\n".encode("latin-1"), "UTF-8"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not text"),
    "headline-only": (b"Just a headline\n", "only a headline"),
    "too-big": (b"Headline\n" + b"A sentence.\n" * (MAX_STORY_BYTES // 10), "bytes"),
    "takeaways-without-items": (b"Headline\nA paragraph here.\nKey Takeaways\n", "numbered"),
    "text-after-hashtags": (b"Headline\nA paragraph here.\n#Tag\nMore text.\n", "hashtags"),
    "credit-name-too-long": (
        b"Headline\nA paragraph here.\n-> Original article provided by " + b"Name " * 30 + b"\n",
        "line 3: the credited name is longer than 120 characters",
    ),
    "cta-too-long": (
        b"Headline\nA paragraph here.\n-> Talk to us " + b"today " * 60 + b"\n",
        "line 3: the call to action is longer than 300 characters",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "reason"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_with_a_one_line_reason_and_nothing_written(tmp_path, content, reason):
    path = write(tmp_path, "story.txt", content)
    with pytest.raises(CommandError) as error:
        call_command("import_article", str(path))
    assert reason in str(error.value)
    assert "\n" not in str(error.value)
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_missing_file_is_refused():
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_article", "/nonexistent/story.txt")


@pytest.mark.django_db
def test_existing_slug_is_refused_without_update():
    call_command("import_article", str(DEMO_STORIES[0]))
    with pytest.raises(CommandError, match="--update"):
        call_command("import_article", str(DEMO_STORIES[0]))
    assert Article.objects.count() == 1


@pytest.mark.django_db
def test_update_replaces_the_parts_of_the_existing_story(tmp_path):
    call_command("import_article", str(DEMO_STORIES[0]))
    text = (
        DEMO_STORIES[0].read_text().replace("Key Takeaways\n1.", "Key Takeaways\n1. Changed.\n2.")
    )
    call_command("import_article", str(write(tmp_path, "story.txt", text)), "--update")
    article = Article.objects.get()
    original = parse_story(DEMO_STORIES[0].read_text()).takeaways
    assert [t.text for t in article.takeaways.all()] == ["Changed.", *original]


@pytest.mark.django_db
def test_import_of_several_files_is_all_or_nothing(tmp_path):
    clash = write(tmp_path, "clash.txt", DEMO_STORIES[1].read_text())
    with pytest.raises(CommandError):
        call_command("import_article", str(DEMO_STORIES[0]), str(DEMO_STORIES[1]), str(clash))
    assert Article.objects.count() == 0


@pytest.mark.django_db
def test_same_call_to_action_text_reuses_one_block():
    cta_line = "-> Connect with one of our AI Strategists today at Opahl Technologies\n"
    import_story(parse_story("First story\nA paragraph.\n" + cta_line))
    import_story(parse_story("Second story\nA paragraph.\n" + cta_line))
    assert ArticleCallToAction.objects.count() == 2
    assert ArticleCallToAction.objects.values("call_to_action").distinct().count() == 1


@pytest.mark.django_db
def test_export_command_writes_the_story(capsys):
    call_command("import_article", str(DEMO_STORIES[0]))
    capsys.readouterr()
    call_command("export_article", Article.objects.get().slug)
    assert capsys.readouterr().out == normalised(DEMO_STORIES[0].read_text())


@pytest.mark.django_db
def test_export_of_an_unknown_slug_is_refused():
    with pytest.raises(CommandError, match="no article"):
        call_command("export_article", "nothing-here")


def test_a_short_line_without_final_punctuation_is_a_heading():
    story = parse_story("Headline\nIntro sentence.\nA Heading\nBody sentence.\n")
    assert [(s.heading, s.paragraphs) for s in story.sections] == [
        ("", ["Intro sentence."]),
        ("A Heading", ["Body sentence."]),
    ]


def test_a_long_line_without_final_punctuation_is_a_paragraph():
    line = "This line has far too many words in it to be a heading even without a stop"
    assert parse_story(f"Headline\n{line}\n").sections[0].paragraphs == [line]


def test_a_question_is_a_paragraph_not_a_heading():
    assert parse_story("Headline\nWhat now?\n").sections[0].paragraphs == ["What now?"]


def test_credit_with_organisation_is_split():
    credit_line = "-> Original article and inspiration provided by Ana Ruiz, The Ledger"
    story = parse_story(f"Headline\nA paragraph.\n{credit_line}\n")
    assert story.credits == [
        ParsedCredit("Original article and inspiration provided by", "Ana Ruiz", "The Ledger")
    ]


# Text the format can carry: words that are neither arrows, hashtags nor numbered items.
word = st.from_regex(r"[A-Za-z][a-z’]{1,9}", fullmatch=True)
sentence = st.lists(word, min_size=3, max_size=14).map(lambda w: " ".join(w) + ".")
heading = (
    st.lists(word, min_size=1, max_size=6)
    .map(" ".join)
    .filter(lambda h: not re.fullmatch(r"key\s+takeaways", h, re.IGNORECASE))
)
paragraphs = st.lists(sentence, min_size=1, max_size=3)
stories = st.builds(
    ParsedStory,
    headline=st.lists(word, min_size=2, max_size=10).map(" ".join),
    sections=st.tuples(
        paragraphs.map(lambda p: ParsedSection("", p)),
        st.lists(st.builds(ParsedSection, heading=heading, paragraphs=paragraphs), max_size=4),
    ).map(lambda parts: [parts[0], *parts[1]]),
    takeaways=st.lists(sentence, max_size=5),
    closing=st.lists(sentence, max_size=2),
    tags=st.lists(
        st.from_regex(r"[A-Z][A-Za-z0-9]{1,12}", fullmatch=True), max_size=5, unique_by=str.lower
    ),
    credits=st.lists(
        st.builds(
            ParsedCredit, role=st.just("Original article and inspiration provided by"), name=heading
        ),
        max_size=2,
    ),
    calls_to_action=st.lists(sentence, max_size=2),
)


def story_text(story: ParsedStory) -> str:
    lines = [story.headline]
    for section in story.sections:
        lines += ([section.heading] if section.heading else []) + section.paragraphs
    if story.takeaways:
        lines += ["Key Takeaways"] + [f"{n}. {t}" for n, t in enumerate(story.takeaways, 1)]
    lines += story.closing if story.takeaways else []
    lines += [" ".join(f"#{tag}" for tag in story.tags)] if story.tags else []
    lines += [f"-> {c.role} {c.name}" for c in story.credits]
    lines += [f"-> {text}" for text in story.calls_to_action]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(story=stories)
def test_any_well_formed_story_survives_import_then_export(story):
    text = story_text(story)
    Article.objects.all().delete()
    assert export_story(import_story(parse_story(text))) == text


def test_parse_errors_are_one_line():
    with pytest.raises(StoryFormatError) as error:
        parse_story("Headline\n\x01 control\n")
    assert "\n" not in str(error.value)


# --- import_article --publish goes through the quality gate --------------------------------


def stored_picture_name():
    from django.core.files.base import ContentFile

    from tests.factories import make_image_upload

    article = Article.objects.create(headline="Picture holder", slug="picture-holder")
    article.hero_image.save("hero.png", ContentFile(make_image_upload().read()))
    return article.hero_image.name


@pytest.mark.django_db
def test_import_with_publish_keeps_a_draft_the_quality_gate_refuses(tmp_path, capsys):
    # A picture with no alt text is an error at the gate, for an import as for an editor.
    text = f"Council meets\nHero: {stored_picture_name()}\nThe council met on Tuesday.\n"
    path = write(tmp_path, "story.txt", text)
    with pytest.raises(CommandError, match="not published, kept as drafts"):
        call_command("import_article", str(path), "--publish")
    article = Article.objects.get(slug="council-meets")
    assert article.status == Article.Status.DRAFT
    assert "Describe the hero image in its alt text." in capsys.readouterr().err


@pytest.mark.django_db
def test_reference_story_publishes_on_import_with_its_warnings_in_the_history(
    tmp_path, reference_story_text, capsys
):
    path = write(tmp_path, "story.txt", reference_story_text)
    call_command("import_article", str(path), "--publish")
    article = Article.objects.get(slug=REFERENCE_SLUG)
    assert article.status == Article.Status.PUBLISHED
    event = article.events.get()
    assert event.who == "Importer"
    assert "There is no dek" in event.note
    assert "has no link: readers see its text, no button" in event.note
    assert "warning: There is no dek" in capsys.readouterr().out


@pytest.mark.django_db
def test_reference_story_call_to_action_shows_as_text_without_a_button(
    client, tmp_path, reference_story_text
):
    path = write(tmp_path, "story.txt", reference_story_text)
    call_command("import_article", str(path), "--publish")
    page = client.get(Article.objects.get().get_absolute_url()).content.decode()
    assert "Connect with one of our AI Strategists today at Opahl Technologies" in page
    assert "cta__button" not in page


@pytest.mark.django_db
def test_import_with_publish_by_an_editor_names_them_in_the_history(editor):
    call_command("import_article", str(DEMO_STORIES[0]), "--publish", "--by", editor.username)
    article = Article.objects.get()
    assert (article.status, article.events.get().actor) == (Article.Status.PUBLISHED, editor)


@pytest.mark.django_db
def test_import_by_someone_who_may_not_publish_is_refused(writer):
    with pytest.raises(CommandError, match=f"“{writer.username}” may not publish stories"):
        call_command("import_article", str(DEMO_STORIES[0]), "--publish", "--by", writer.username)
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_import_by_an_unknown_user_is_refused():
    with pytest.raises(CommandError, match="there is no user called “nobody”"):
        call_command("import_article", str(DEMO_STORIES[0]), "--publish", "--by", "nobody")
    assert not Article.objects.exists()
