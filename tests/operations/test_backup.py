"""`backup` and `restore`: one checksummed archive of the database and the media files."""

import datetime
import gzip
import hashlib
import io
import json
import shutil
import stat
import tarfile
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core import serializers
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from articles.editing import revisions
from articles.editing.images import make_renditions
from articles.models import (
    Article,
    ArticleEvent,
    Byline,
    Notice,
    PreviewLink,
    PreviewLinkVisit,
    Revision,
    SchedulerRun,
    Section,
)
from articles.moderation import workflow
from articles.moderation.roles import ensure_roles
from articles.operations import backup
from tests.factories import make_article, make_author, make_desk, make_image_upload, make_user

Status = Article.Status


# Helpers ----------------------------------------------------------------------------------


def make_newsroom():
    """A newsroom with one story of every part, its history, and pictures on disk."""
    writer = make_user("wendy", groups=["Writer"])
    editor = make_user("edgar", groups=["Editor"], permissions=["view_schedulerrun"])
    article = make_article(
        headline="Artists protest as AI video tools arrive",
        status=Status.DRAFT,
        desk=make_desk(name="Culture"),
        authors=[make_author(name="Ana Ruiz"), make_author(name="Bo Chen")],
        tags=["EthicalAI", "AIRevolution"],
        sections=3,
        takeaways=3,
        credits=2,
        ctas=2,
        created_by=writer,
        hero_image=make_image_upload(name="protest.png", size=(64, 48)),
        hero_alt="Painters hold up signs outside a studio",
        closing="<p>What comes next is <strong>up to us</strong>.</p>",
    )
    make_renditions(article)
    revisions.record(article, by=writer, summary="First draft")
    workflow.take("submit", article, by=writer)
    workflow.take("approve", article, by=editor)
    workflow.take("publish", article, by=editor)
    Notice.objects.create(article=article, kind="correction", text="We misspelt a name.")
    link = PreviewLink.objects.create(
        article=article,
        label="Our lawyer",
        created_by=editor,
        expires_at=timezone.now() + datetime.timedelta(days=2),
    )
    PreviewLinkVisit.objects.create(link=link, user_agent="Lawyer's browser")
    SchedulerRun.objects.create(published=1)
    LogEntry.objects.create(
        user=editor,
        content_type=ContentType.objects.get_for_model(Article),
        object_id=str(article.pk),
        object_repr=article.headline,
        action_flag=CHANGE,
        change_message="Changed the dek.",
    )
    return article


def canonical_export() -> dict:
    """Every row a backup should keep, by model, in a form that does not depend on ids
    the database hands out itself (content types, permissions, groups)."""
    labels = ["auth.user", "auth.group", "admin.logentry", "taggit.tag", "taggit.taggeditem"]
    labels += [model._meta.label_lower for model in apps.get_app_config("articles").get_models()]
    export = {}
    for label in labels:
        model = apps.get_model(label)
        rows = serializers.serialize(
            "python", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
        )
        for row in rows:
            if label == "auth.group":  # made by a migration: matched by name, not id
                row.pop("pk")
        export[label] = rows
    return export


def file_checksums(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def read_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar}


def write_members(path: Path, members: dict[str, bytes], *, fix_checksums: bool = False):
    """Write an archive with these members; fix_checksums forges a matching manifest."""
    members = dict(members)
    manifest = json.loads(members.pop(backup.MANIFEST))
    if fix_checksums:
        manifest["members"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in members.items()
        }
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def edit_manifest(path: Path, **changes):
    members = read_members(path)
    manifest = json.loads(members[backup.MANIFEST]) | changes
    members[backup.MANIFEST] = json.dumps(manifest).encode()
    write_members(path, members)


def refused(*args) -> str:
    with pytest.raises(CommandError) as error:
        call_command(*args)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.fixture
def story(db):
    return make_newsroom()


@pytest.fixture
def archive(story, tmp_path):
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    return path


# The round trip ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_round_trip_into_an_empty_database_restores_every_row_and_file(tmp_path, media_root):
    article = make_newsroom()
    rows_before, files_before = canonical_export(), file_checksums(media_root)
    for model in [Section, Byline, Revision, ArticleEvent, Notice, PreviewLinkVisit, LogEntry]:
        assert model.objects.exists(), f"the test story has no {model.__name__}"
    assert article.hero_image.name in files_before
    assert len(files_before) > 1, "no renditions on disk"
    path = tmp_path / "newsroom.tar.gz"

    call_command("backup", str(path), stdout=io.StringIO())
    call_command("flush", interactive=False)
    shutil.rmtree(media_root)
    assert not User.objects.exists()
    call_command("restore", str(path), stdout=io.StringIO())

    assert canonical_export() == rows_before
    assert file_checksums(media_root) == files_before


@pytest.mark.django_db(transaction=True)
def test_story_written_after_a_restore_gets_a_fresh_id(tmp_path):
    restored = make_article(headline="Before the disaster")
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    # flush starts PostgreSQL's id counters again from 1, as a fresh database would.
    call_command("flush", interactive=False)
    call_command("restore", str(path), stdout=io.StringIO())

    written = make_article(headline="After the restore")

    # Without resetting the counters the new story would get id 1, and a later one the
    # id of a restored story: an IntegrityError for the editor who saves it.
    assert written.pk > restored.pk
    assert written.sections.first().pk > restored.sections.last().pk
    assert Article.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_restore_that_fails_while_loading_leaves_nothing_behind(tmp_path, media_root):
    make_newsroom()
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    members = read_members(path)
    rows = json.loads(members[backup.DATA])
    byline = next(row for row in rows if row["model"] == "articles.byline")
    byline["fields"]["author"] = 999_999  # no such author: fails only when the rows are checked
    members[backup.DATA] = json.dumps(rows).encode()
    write_members(path, members, fix_checksums=True)
    call_command("flush", interactive=False)
    shutil.rmtree(media_root)

    message = refused("restore", str(path))

    assert "nothing was restored" in message
    assert not Article.objects.exists()
    assert not User.objects.exists()
    assert file_checksums(media_root) == {}


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_to_overwrite_a_different_media_file(tmp_path, media_root):
    article = make_newsroom()
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    call_command("flush", interactive=False)
    hero = Path(article.hero_image.path)
    hero.write_bytes(b"a newer picture")

    message = refused("restore", str(path))

    assert article.hero_image.name in message
    assert "--force" in message
    assert hero.read_bytes() == b"a newer picture"
    assert not Article.objects.exists()


def test_restore_prints_what_it_restored(archive, media_root):
    shutil.rmtree(media_root)
    output = io.StringIO()
    call_command("restore", str(archive), "--force", stdout=output)
    text = output.getvalue()
    assert "1 articles.article" in text
    assert "3 articles.section" in text
    media_count = len(file_checksums(media_root))
    assert media_count > 0
    assert f"{media_count} media files" in text


def test_check_says_an_archive_is_intact_and_changes_nothing(archive, story):
    Article.objects.filter(pk=story.pk).update(headline="Changed after the backup")
    output = io.StringIO()

    call_command("restore", str(archive), "--check", stdout=output)

    assert f"{archive} is intact" in output.getvalue()
    assert "1 articles.article" in output.getvalue()
    assert Article.objects.get().headline == "Changed after the backup"


def test_check_refuses_a_damaged_archive(archive):
    data = archive.read_bytes()
    archive.write_bytes(data[:-100])
    message = refused("restore", str(archive), "--check")
    assert message.startswith(f"{archive} is damaged or cut short")


# What a backup holds -----------------------------------------------------------------------


def test_manifest_has_a_checksum_for_every_member_and_counts_per_model(archive):
    members = read_members(archive)
    manifest = json.loads(members.pop(backup.MANIFEST))
    assert manifest["format_version"] == backup.FORMAT_VERSION
    assert manifest["django_version"] == django.get_version()
    created = datetime.datetime.fromisoformat(manifest["created_at"])
    assert abs(timezone.now() - created) < datetime.timedelta(minutes=5)
    assert "articles.0001_initial" in manifest["migrations"]
    assert manifest["members"] == {
        name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in members.items()
    }
    assert manifest["counts"]["articles.article"] == Article.objects.count() == 1
    assert manifest["counts"]["articles.section"] == Section.objects.count() == 3
    assert manifest["counts"]["auth.user"] == User.objects.count() == 2


def test_backup_holds_every_media_file(archive, media_root):
    names = {name for name in read_members(archive) if name.startswith("media/")}
    assert names == {f"media/{name}" for name in file_checksums(media_root)}
    assert len(names) > 1  # the picture and its renditions


def test_backup_refers_to_groups_and_permissions_by_name_and_leaves_out_sessions(
    story, client, tmp_path
):
    client.force_login(User.objects.get(username="edgar"))
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    rows = json.loads(read_members(path)[backup.DATA])
    assert not {row["model"] for row in rows} & {"sessions.session", "contenttypes.contenttype"}
    edgar = next(row["fields"] for row in rows if row["fields"].get("username") == "edgar")
    assert edgar["groups"] == [["Editor"]]
    assert edgar["user_permissions"] == [["view_schedulerrun", "articles", "schedulerrun"]]


def test_archive_is_readable_by_its_owner_only(archive):
    # It holds every user's password hash.
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


def test_backup_does_not_follow_links_out_of_media_root(story, media_root, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "id_rsa").write_text("private key")
    (media_root / "linked").symlink_to(secrets)
    path = tmp_path / "newsroom.tar.gz"
    errors = io.StringIO()

    call_command("backup", str(path), stdout=io.StringIO(), stderr=errors)

    assert not [name for name in read_members(path) if "id_rsa" in name]
    assert "skipped 1 links or special files in MEDIA_ROOT: linked" in errors.getvalue()


def test_backup_warns_about_a_picture_missing_from_media_root(story, tmp_path):
    Path(story.hero_image.path).unlink()
    errors = io.StringIO()
    call_command("backup", str(tmp_path / "b.tar.gz"), stdout=io.StringIO(), stderr=errors)
    assert "missing from MEDIA_ROOT" in errors.getvalue()
    assert story.hero_image.name in errors.getvalue()


# Refusing to write ----------------------------------------------------------------------------


def test_backup_refuses_to_overwrite_an_existing_file(story, tmp_path):
    path = tmp_path / "newsroom.tar.gz"
    path.write_bytes(b"yesterday's backup")
    message = refused("backup", str(path))
    assert message == f"{path} already exists; use --force to replace it"
    assert path.read_bytes() == b"yesterday's backup"


def test_backup_with_force_replaces_an_existing_file(story, tmp_path):
    path = tmp_path / "newsroom.tar.gz"
    path.write_bytes(b"yesterday's backup")
    call_command("backup", str(path), "--force", stdout=io.StringIO())
    assert json.loads(read_members(path)[backup.MANIFEST])["counts"]["articles.article"] == 1


@pytest.mark.parametrize(
    ("where", "reason"),
    [
        ("no-such-folder/newsroom.tar.gz", "No such file or directory"),
        ("a-file/newsroom.tar.gz", "Not a directory"),
    ],
)
def test_backup_to_an_unwritable_place_fails_with_the_reason(story, tmp_path, where, reason):
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / where
    message = refused("backup", str(path))
    assert message == f"cannot write {path}: {reason}"


def test_backup_inside_media_root_is_refused(story, media_root):
    # The web server publishes MEDIA_ROOT, and a backup holds password hashes.
    path = media_root / "newsroom.tar.gz"
    message = refused("backup", str(path))
    assert "inside MEDIA_ROOT" in message
    assert not path.exists()


def test_backup_that_crashes_halfway_leaves_no_file(story, tmp_path, monkeypatch):
    def crash(*args):
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(backup, "_add_media", crash)
    folder = tmp_path / "backups"
    folder.mkdir()
    with pytest.raises(RuntimeError):
        call_command("backup", str(folder / "newsroom.tar.gz"), stdout=io.StringIO())
    assert list(folder.iterdir()) == []


# Refusing to restore ------------------------------------------------------------------------


def test_restore_refuses_a_database_that_has_content(archive):
    message = refused("restore", str(archive))
    assert message.startswith("the database is not empty (1 articles.article, 2 auth.user, ")
    assert "--force" in message


def test_restore_with_force_replaces_the_database(archive, story):
    Article.objects.filter(pk=story.pk).update(headline="Changed after the backup")
    make_article(headline="Written after the backup")
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert list(Article.objects.values_list("headline", flat=True)) == [
        "Artists protest as AI video tools arrive"
    ]


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"],
)
def test_restore_with_force_signs_everyone_out(
    archive, client, settings, django_capture_on_commit_callbacks, engine
):
    settings.SESSION_ENGINE = engine
    client.force_login(User.objects.get(username="edgar"))
    assert client.get(reverse("review:index")).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        call_command("restore", str(archive), "--force", stdout=io.StringIO())

    response = client.get(reverse("review:index"))
    assert response.status_code == 302
    assert not Session.objects.exists()


def test_tampered_archive_is_refused_and_nothing_changes(archive, story, media_root):
    members = read_members(archive)
    members[backup.DATA] = members[backup.DATA].replace(b"Artists protest", b"Artists applaud")
    write_members(archive, members)
    Article.objects.filter(pk=story.pk).update(headline="Changed after the backup")
    files_before = file_checksums(media_root)

    message = refused("restore", str(archive), "--force")

    assert message == f"{archive} is damaged or was changed: data.json does not match its checksum"
    assert Article.objects.get().headline == "Changed after the backup"
    assert file_checksums(media_root) == files_before


def test_tampered_media_file_is_refused(archive, story):
    members = read_members(archive)
    name = f"media/{story.hero_image.name}"
    members[name] = members[name][:-1] + b"\x00"
    write_members(archive, members)
    message = refused("restore", str(archive), "--force")
    assert message.endswith(f"{name} does not match its checksum")


def test_truncated_archive_is_refused(archive):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    message = refused("restore", str(archive), "--force")
    assert message.startswith(f"{archive} is damaged or cut short")


def test_file_that_is_not_a_backup_is_refused(db, tmp_path):
    path = tmp_path / "notes.tar.gz"
    path.write_bytes(gzip.compress(b"just some text"))
    message = refused("restore", str(path))
    assert "not a Newsroom backup" in message


def test_archive_of_another_format_version_is_refused(archive):
    edit_manifest(archive, format_version=2)
    message = refused("restore", str(archive), "--force")
    assert message == (
        f"{archive} is backup format version 2; this version of Newsroom reads version 1 only"
    )


def test_archive_from_a_newer_schema_is_refused(archive):
    manifest = json.loads(read_members(archive)[backup.MANIFEST])
    edit_manifest(archive, migrations=[*manifest["migrations"], "articles.9999_from_the_future"])
    message = refused("restore", str(archive), "--force")
    assert "articles.9999_from_the_future" in message
    assert "migrate" in message


@pytest.mark.parametrize(
    "name",
    [
        "media/../../escaped.txt",
        "media/articles/../../../escaped.txt",
        "../escaped.txt",
        "{tmp}/escaped.txt",
    ],
)
def test_member_that_would_land_outside_media_root_is_refused(archive, story, tmp_path, name):
    name = name.format(tmp=tmp_path)
    members = read_members(archive)
    members[name] = b"owned"
    write_members(archive, members, fix_checksums=True)

    message = refused("restore", str(archive), "--force")

    assert message.startswith("refusing the archive: unsafe")
    assert repr(name) in message
    assert not list(tmp_path.parent.rglob("escaped.txt"))
    assert Article.objects.get().pk == story.pk


def test_member_that_would_land_outside_media_root_through_a_link_is_refused(
    archive, story, media_root, tmp_path
):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = story.hero_image.name.split("/")[0]
    shutil.rmtree(media_root / folder)
    (media_root / folder).symlink_to(elsewhere)

    message = refused("restore", str(archive), "--force")

    assert "outside MEDIA_ROOT through a link" in message
    assert list(elsewhere.iterdir()) == []
    assert Article.objects.get().pk == story.pk


def test_link_member_is_refused(archive, tmp_path):
    members = read_members(archive)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("media/articles/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)

    message = refused("restore", str(archive), "--force")

    assert message == (
        "refusing the archive: 'media/articles/passwd' is a link or folder, not a plain file"
    )


def test_member_not_in_the_manifest_is_refused(archive):
    members = read_members(archive)
    members["media/extra.png"] = b"slipped in"
    write_members(archive, members)
    message = refused("restore", str(archive), "--force")
    assert message == f"refusing {archive}: media/extra.png is not listed in its manifest"


def test_missing_archive_is_refused(db, tmp_path):
    path = tmp_path / "nowhere.tar.gz"
    assert refused("restore", str(path)) == f"{path} does not exist"


def permission_names(group_name: str) -> set[tuple]:
    return {p.natural_key() for p in Group.objects.get(name=group_name).permissions.all()}


@pytest.mark.django_db(transaction=True)
def test_role_groups_of_a_fresh_database_are_matched_by_name(tmp_path):
    Group.objects.all().delete()  # the factories make the roles again, under new ids
    make_newsroom()
    editor_permissions = permission_names("Editor")
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    call_command("flush", interactive=False)
    ensure_roles()  # what the migration gives a fresh database: the roles, under other ids

    call_command("restore", str(path), stdout=io.StringIO())

    assert sorted(Group.objects.values_list("name", flat=True)) == ["Chief", "Editor", "Writer"]
    assert permission_names("Editor") == editor_permissions
    assert User.objects.get(username="edgar").groups.get().name == "Editor"
