"""Restore a backup archive: check it, load its rows in one transaction, put its media back."""

import hashlib
import os
import shutil
import tarfile
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction

from articles.editing import stories
from articles.models import Article
from articles.operations.backup_format import (
    CHUNK_SIZE,
    MATCHED_BY_NAME,
    STAGING_PREFIX,
    STORAGE_ERRORS,
    BackupError,
    VerifiedArchive,
    applied_migrations,
    archive_members,
    backed_up_models,
    hash_stream,
    is_inside,
    local_path,
    media_location,
    media_path,
    one_line,
    read_archive,
    stored_models,
)
from articles.operations.progress import no_progress

# What `restore --force` leaves in place: everything else is replaced by the backup's rows.
KEPT_BY_FORCE = {"contenttypes.contenttype", "auth.permission"}


@dataclass
class RestoreResult:
    counts: dict[str, int]
    media_files: int
    created_at: str
    django_version: str


def database_contents() -> dict[str, int]:
    """Return the rows per model the database holds beyond what `migrate` makes."""
    counts = {}
    for model in backed_up_models():
        label = model._meta.label_lower
        if label not in MATCHED_BY_NAME:
            if count := model._base_manager.count():
                counts[label] = count
    return counts


# Named first when saying what a database holds: what an operator recognises at a glance.
HEADLINE_MODELS = ["articles.article", "auth.user"]


def _describe(counts: dict[str, int], limit: int = 8) -> str:
    """Return "3 articles.article, 2 auth.user, 12 articles.section, …"."""

    def importance(label):
        headline = (
            HEADLINE_MODELS.index(label) if label in HEADLINE_MODELS else len(HEADLINE_MODELS)
        )
        return headline, -counts[label], label

    order = sorted(counts, key=importance)
    parts = [f"{counts[label]} {label}" for label in order]
    more = f" and {len(parts) - limit} more" if len(parts) > limit else ""
    return ", ".join(parts[:limit]) + more


def _destination(storage, name: str) -> str:
    """Return the name in the media storage that an archive's media member goes to."""
    relative = str(media_path(name))
    # A link inside MEDIA_ROOT (a folder pointing elsewhere) must not carry a file out.
    path = local_path(storage, relative)
    if path is not None and not is_inside(path, local_path(storage, "")):
        raise BackupError(
            f"refusing the archive: {name!r} would be written outside MEDIA_ROOT through a link"
        )
    return relative


def _stored_sha256(storage, name: str) -> str | None:
    try:
        with storage.open(name, "rb") as file:
            return hash_stream(file)[0]
    except (FileNotFoundError, IsADirectoryError):
        return None  # a dangling link, or a folder, where the file should go


def media_clashes(archive: VerifiedArchive, storage, destinations: dict[str, str]) -> list[str]:
    """Return the archive's media files that the media storage holds with different content."""
    return [
        destinations[member]
        for member, entry in sorted(archive.media.items())
        if storage.exists(destinations[member])
        and _stored_sha256(storage, destinations[member]) != entry["sha256"]
    ]


def _check_migrations(manifest: dict) -> None:
    applied = applied_migrations()
    if not applied:
        raise BackupError("the database has no tables yet: run `manage.py migrate` first")
    missing = sorted(set(manifest.get("migrations", [])) - set(applied))
    if missing:
        raise BackupError(
            "the backup was made by a newer version of Newsroom; this database lacks "
            f"migrations {', '.join(missing[:3])}{' and more' if len(missing) > 3 else ''} "
            "(upgrade the code and run `manage.py migrate` first)"
        )


def _stage_media(path: Path, archive: VerifiedArchive, storage, advance) -> Path:
    """Copy the archive's media into a staging folder, checking each file again.

    On disk the folder is inside MEDIA_ROOT, so that putting a file in place is a rename on
    one filesystem; for a bucket it is in the system's temporary folder.
    """
    media_root = local_path(storage, "")
    if media_root is not None:
        media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))
    try:
        for member, file in archive_members(path):
            if member.name not in archive.media:
                continue
            target = staging / media_path(member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with target.open("wb") as out:
                while chunk := file.read(CHUNK_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
            os.utime(target, (member.mtime, member.mtime))
            # The archive was read once already; this catches it changing in between.
            if digest.hexdigest() != archive.media[member.name]["sha256"]:
                raise BackupError(f"{path} changed during the restore; nothing was restored")
            advance(1)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


class _StagedFile(File):
    """A checked file in the staging folder. Having a temporary_file_path() makes
    FileSystemStorage move it into place (a rename) rather than copy it; S3 uploads it."""

    def temporary_file_path(self) -> str:
        return self.file.name


def _put_media_in_place(storage, staging: Path, destinations: dict[str, str]) -> None:
    for member, name in sorted(destinations.items()):
        # Storage never overwrites: it would save under a new name.
        if storage.exists(name):
            storage.delete(name)
        with _StagedFile((staging / media_path(member)).open("rb")) as staged:
            saved = storage.save(name, staged)
        if saved != name:
            raise OSError(f"{name} was written by someone else during the restore")


def _sign_everyone_out() -> None:
    """Forget the cached copies of the sessions the database is about to lose.

    A restored user id may now belong to someone else, so `restore --force` deletes every
    session; with the cached_db engine (used with Redis) the cache would keep them alive.
    """
    if not apps.is_installed("django.contrib.sessions"):
        return
    from django.contrib.sessions.models import Session

    prefix = getattr(import_module(settings.SESSION_ENGINE).SessionStore, "cache_key_prefix", None)
    if prefix is None:
        return
    keys = [prefix + key for key in Session.objects.values_list("session_key", flat=True)]
    session_cache = caches[settings.SESSION_CACHE_ALIAS]
    transaction.on_commit(lambda: session_cache.delete_many(keys))


def _empty_database() -> None:
    # Sessions go too: see _sign_everyone_out().
    _sign_everyone_out()
    tables = set()
    for model in stored_models(leaving_out=KEPT_BY_FORCE):
        tables.add(model._meta.db_table)
        tables.update(
            m2m.remote_field.through._meta.db_table
            for m2m in model._meta.local_many_to_many
            if m2m.remote_field.through._meta.auto_created
        )
    # DELETE rather than TRUNCATE: foreign keys are checked at the end of the transaction,
    # and PostgreSQL refuses TRUNCATE while such checks are pending. The table names come
    # from the models, never from the archive, and are quoted by the database backend.
    with connection.cursor() as cursor:
        for table in sorted(tables):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # nosec B608


def _load(objects: list, advance) -> dict[str, int]:
    counts, deferred = Counter(), []
    for item in serializers.deserialize("python", objects, handle_forward_references=True):
        label = item.object._meta.label_lower
        # The tables are empty, so every row is new: insert it straight away instead of
        # trying an UPDATE first, which halves the queries. A group matched by name may
        # already be there, and is updated.
        item.save(force_insert=label not in MATCHED_BY_NAME)
        if item.deferred_fields:
            deferred.append(item)
        counts[label] += 1
        advance(1)
    for item in deferred:
        item.save_deferred_fields()
    return dict(counts)


def _reset_sequences(model_list) -> None:
    # Rows came in with their own ids; without this PostgreSQL would hand out ids from
    # wherever its counters stood, and the next new story would clash with a restored one.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), model_list):
            cursor.execute(sql)


def _check_database(archive: VerifiedArchive, *, force: bool) -> None:
    """Refuse a database that lacks the backup's migrations, or has content without --force."""
    try:
        _check_migrations(archive.manifest)
        existing = database_contents()
    except DatabaseError as error:
        raise BackupError(
            f"the database is not ready (run `manage.py migrate` first): {one_line(error)}"
        ) from None
    if existing and not force:
        raise BackupError(
            f"the database is not empty ({_describe(existing)}); restore into a freshly "
            "migrated database, or use --force to replace everything in it"
        )


def _list_top(storage) -> None:
    try:
        storage.listdir("")
    except FileNotFoundError:
        pass  # no MEDIA_ROOT yet: the restore makes it


def _check_media(archive: VerifiedArchive, storage, *, force: bool) -> dict[str, str]:
    """Return where each media file goes; refuse to overwrite different files without --force."""
    destinations = {member: _destination(storage, member) for member in archive.media}
    try:
        # Asked even with --force, so that a bucket that is missing or refuses us stops the
        # restore here, before the database is touched.
        _list_top(storage)
        clashes = [] if force else media_clashes(archive, storage, destinations)
    except STORAGE_ERRORS as error:
        raise BackupError(
            f"cannot read the media files in {media_location(storage)}, nothing was restored: "
            f"{one_line(error)}"
        ) from None
    if clashes:
        raise BackupError(
            f"{len(clashes)} files in {media_location(storage)} differ from the backup's "
            f"({', '.join(clashes[:3])}); use --force to overwrite them"
        )
    return destinations


def restore(
    path, *, force: bool = False, storage=default_storage, progress=no_progress
) -> RestoreResult:
    """Check the archive, then load its rows (all or nothing) and put its media files back
    into the media storage (MEDIA_ROOT or the bucket).
    `progress` makes the bar for each stage (articles/operations/progress.py)."""
    path = Path(path)
    archive = read_archive(path)
    _check_database(archive, force=force)
    destinations = _check_media(archive, storage, force=force)
    try:
        with progress(total=len(archive.media), unit="files", description="Media") as bar:
            staging = _stage_media(path, archive, storage, advance=bar.update)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(
            f"could not unpack the media files, nothing was restored: {one_line(error)}"
        ) from None
    try:
        with transaction.atomic():
            if force:
                _empty_database()
            with progress(total=len(archive.objects), unit="rows", description="Database") as bar:
                counts = _load(archive.objects, advance=bar.update)
            connection.check_constraints()
            _reset_sequences(backed_up_models())
            stories.stories_loaded(Article.objects.all())
            # Last, so a failure above leaves the media storage as it was.
            _put_media_in_place(storage, staging, destinations)
    except (
        DatabaseError,
        DeserializationError,
        ValidationError,
        ObjectDoesNotExist,
        LookupError,
        ValueError,
        TypeError,
    ) as error:
        raise BackupError(
            f"could not load {path}, nothing was restored: {one_line(error)}"
        ) from None
    except STORAGE_ERRORS as error:
        raise BackupError(
            "could not put the media files in place, so the database was left as it was "
            f"(some files may already be replaced): {one_line(error)}"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        counts=counts,
        media_files=len(archive.media),
        created_at=str(archive.manifest.get("created_at", "?")),
        django_version=str(archive.manifest.get("django_version", "?")),
    )
