"""Back up the whole newsroom, database content and media files, to one archive; restore it.

An archive is a gzipped tar file holding:

    data.json       every row, in Django's serialisation format (what `dumpdata` writes)
    media/<path>    every file under MEDIA_ROOT
    manifest.json   the last member: format version, creation time, Django version, the
                    migrations the data belongs to, rows per model, and the SHA-256 and size
                    of every other member

`restore()` checks every member against the manifest before it touches the database or
MEDIA_ROOT, then loads all rows in one transaction. The checksums find damage (a truncated
copy, a flipped bit, an edited file); they are not a signature, so anyone who can rewrite
the archive can also rewrite its manifest. Keep backups where only the operators can write.
"""

import datetime
import hashlib
import io
import itertools
import json
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from articles.delivery import cache as page_cache
from articles.models import Article, refresh_search_vectors

FORMAT = "newsroom-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.json"
MEDIA_PREFIX = "media/"
# A crashed restore can leave one of these behind in MEDIA_ROOT; a backup never includes it.
STAGING_PREFIX = ".newsroom-restore-"
BATCH_SIZE = 500
CHUNK_SIZE = 1024 * 1024

# `migrate` makes content types and permissions itself, so a fresh database already has
# them, under ids of its own: the backup refers to them by natural key instead of storing
# them. Sessions are throwaway, and restored into another database they could sign someone
# in as whoever now has their old user id.
NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
# Caches kept in the database: rebuilt on demand, so not worth a byte of a backup.
DERIVED_MODELS = {"articles.renderedstory"}
# What `restore --force` leaves in place: everything else is replaced by the backup's rows.
KEPT_BY_FORCE = {"contenttypes.contenttype", "auth.permission"}
# The role groups are made by a migration too, so they are matched by name, not by id.
MATCHED_BY_NAME = {"auth.group"}
# Rows that refer to these are written with natural keys: (app, model) and not an id.
REFERRED_TO_BY_NAME = {"contenttypes.contenttype", "auth.permission", "auth.group"}
# Derived data, recomputed after a restore rather than stored.
DERIVED_FIELDS = {"articles.article": {"search_vector"}}


class BackupError(Exception):
    """A backup or a restore that cannot go ahead; the message says why, in one line."""


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    counts: dict[str, int]
    media_files: int
    media_bytes: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    counts: dict[str, int]
    media_files: int
    created_at: str
    django_version: str


@dataclass
class VerifiedArchive:
    manifest: dict
    objects: list
    media: dict[str, dict]  # archive member name -> {"sha256": ..., "size": ...}


# Models and serialisation ----------------------------------------------------------------


def stored_models(*, leaving_out: set[str]) -> list[type[models.Model]]:
    """Return the models with a table of their own, but for those left out, in load order."""
    app_list = []
    for app_config in apps.get_app_configs():
        model_list = [
            model
            for model in app_config.get_models()
            if model._meta.managed
            and not model._meta.proxy
            and model._meta.label_lower not in leaving_out
        ]
        if model_list:
            app_list.append((app_config, model_list))
    return serializers.sort_dependencies(app_list, allow_cycles=True)


def backed_up_models() -> list[type[models.Model]]:
    """Return every model whose rows go into a backup, in an order that loads cleanly."""
    return stored_models(leaving_out=NOT_BACKED_UP | DERIVED_MODELS)


def refers_to_schema_rows(model) -> bool:
    """Whether the model points at a content type, permission or group."""
    return any(
        relation.related_model._meta.label_lower in REFERRED_TO_BY_NAME
        for relation in [*model._meta.fields, *model._meta.many_to_many]
        if relation.is_relation and relation.related_model is not None
    )


class ExactJSONEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder without its rounding of times to milliseconds: a backup is exact."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def dump_data(stream) -> dict[str, int]:
    """Write every backed-up row to stream as a JSON list; return the rows per model."""
    counts = {}
    separator = "\n"
    stream.write("[")
    for model in backed_up_models():
        label = model._meta.label_lower
        options = {
            # Only references to rows that `migrate` makes go by natural key: everything
            # else keeps its id, because revisions store ids of authors, desks and blocks.
            "use_natural_foreign_keys": refers_to_schema_rows(model),
            "use_natural_primary_keys": label in MATCHED_BY_NAME,
        }
        rows = model._base_manager.order_by("pk").iterator(chunk_size=BATCH_SIZE)
        counts[label] = 0
        for batch in itertools.batched(rows, BATCH_SIZE):
            for item in serializers.serialize("python", batch, **options):
                for name in DERIVED_FIELDS.get(label, ()):
                    item["fields"].pop(name, None)
                stream.write(separator + json.dumps(item, cls=ExactJSONEncoder))
                separator = ",\n"
                counts[label] += 1
    stream.write("\n]\n")
    return counts


def applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


# Backup -----------------------------------------------------------------------------------


class _HashingWriter:
    """Encode text to UTF-8 into a binary file, counting bytes and hashing them."""

    def __init__(self, file):
        self.file, self.hash, self.size = file, hashlib.sha256(), 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.hash.update(data)
        self.size += len(data)
        self.file.write(data)


class _HashingReader:
    """Hash what tarfile reads from a media file, so each file is read only once."""

    def __init__(self, file):
        self.file, self.hash = file, hashlib.sha256()

    def read(self, size=-1) -> bytes:
        data = self.file.read(size)
        self.hash.update(data)
        return data


def _one_line(error) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(text.split())


def _is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def media_files(media_root: Path) -> tuple[list[tuple[str, Path]], list[str]]:
    """Return (member name, path) for every plain file under media_root, and what was skipped."""
    found, skipped = [], []
    if not media_root.is_dir():
        return found, skipped
    # os.walk does not follow links to folders; links to files are skipped below, so a
    # link in MEDIA_ROOT can never pull a file from elsewhere on the server into a backup.
    for folder, folder_names, file_names in os.walk(media_root):
        folder_names[:] = sorted(n for n in folder_names if not n.startswith(STAGING_PREFIX))
        skipped += [
            (Path(folder) / name).relative_to(media_root).as_posix()
            for name in folder_names
            if (Path(folder) / name).is_symlink()
        ]
        for name in sorted(file_names):
            path = Path(folder) / name
            relative = path.relative_to(media_root).as_posix()
            if path.is_symlink() or not path.is_file():
                skipped.append(relative)
            else:
                found.append((MEDIA_PREFIX + relative, path))
    return found, skipped


def _add_bytes(tar, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_media(tar, name: str, path: Path) -> tuple[str, int]:
    with path.open("rb") as file:
        stat = os.fstat(file.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, stat.st_mtime, 0o644
        reader = _HashingReader(file)
        tar.addfile(info, reader)
    return reader.hash.hexdigest(), stat.st_size


def _missing_media(present: set[str]) -> list[str]:
    """Return the files that rows name (image and file fields) but MEDIA_ROOT lacks."""
    missing = []
    for model in backed_up_models():
        for file_field in model._meta.fields:
            if isinstance(file_field, models.FileField):
                names = model._base_manager.exclude(**{file_field.attname: ""}).values_list(
                    file_field.attname, flat=True
                )
                missing += [n for n in names if n and MEDIA_PREFIX + n not in present]
    return sorted(set(missing))


def _write_archive(raw, path: Path, media_root: Path, created_at) -> BackupResult:
    members, warnings = {}, []
    mtime = created_at.timestamp()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        with tempfile.TemporaryFile() as data_file:
            # One transaction, so the rows are one consistent moment even while editors
            # work; media follow the rows, so every file a row names was there already.
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if outermost and connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                writer = _HashingWriter(data_file)
                counts = dump_data(writer)
                migrations = applied_migrations()
                files, skipped = media_files(media_root)
                missing = _missing_media({name for name, _ in files})
            data_file.seek(0)
            info = tarfile.TarInfo(DATA)
            info.size, info.mtime, info.mode = writer.size, mtime, 0o600
            tar.addfile(info, data_file)
            members[DATA] = {"sha256": writer.hash.hexdigest(), "size": writer.size}
        media_bytes = 0
        for name, file_path in files:
            try:
                sha256, size = _add_media(tar, name, file_path)
            except OSError as error:
                raise BackupError(
                    f"cannot read media file {file_path}: {_one_line(error)}"
                ) from None
            except tarfile.TarError as error:
                raise BackupError(
                    f"media file {file_path} changed while it was read: {error}"
                ) from None
            members[name] = {"sha256": sha256, "size": size}
            media_bytes += size
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": created_at.isoformat(),
            "django_version": django.get_version(),
            "database": connection.vendor,
            "migrations": migrations,
            "counts": counts,
            "members": members,
        }
        _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode(), mtime)
    if skipped:
        warnings.append(
            f"skipped {len(skipped)} links or special files in MEDIA_ROOT: "
            + ", ".join(skipped[:5])
        )
    if missing:
        warnings.append(
            f"{len(missing)} files named in the database are missing from MEDIA_ROOT: "
            + ", ".join(missing[:5])
        )
    return BackupResult(
        path=path,
        size=raw.tell(),
        sha256="",
        counts=counts,
        media_files=len(files),
        media_bytes=media_bytes,
        warnings=warnings,
    )


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some filesystems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(descriptor)


def _put_in_place(temp: Path, target: Path, *, force: bool) -> None:
    if force:
        os.replace(temp, target)
        return
    try:
        # A hard link fails if the name exists, even one created a moment ago by someone
        # else, so without --force nothing is ever overwritten.
        os.link(temp, target)
    except FileExistsError:
        raise BackupError(f"{target} already exists; use --force to replace it") from None
    except OSError:
        # A filesystem without hard links: check, then rename.
        if target.exists():
            raise BackupError(f"{target} already exists; use --force to replace it") from None
        os.replace(temp, target)
    else:
        temp.unlink()


def backup(path, *, force: bool = False, media_root=None, now=None) -> BackupResult:
    """Write the database content and every media file to one archive at path."""
    path = Path(path)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    target = path.absolute()
    if _is_inside(target, media_root):
        raise BackupError(
            f"{path} is inside MEDIA_ROOT ({media_root}), which the web server publishes; "
            "write the backup somewhere else"
        )
    if target.is_dir():
        raise BackupError(f"{path} is a folder; give a file name, e.g. {path / 'newsroom.tar.gz'}")
    if target.exists() and not force:
        raise BackupError(f"{path} already exists; use --force to replace it")
    try:
        # Next to the target, so the final rename stays on one filesystem and is atomic.
        # mkstemp makes the file readable by its owner only: it holds password hashes.
        descriptor, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as error:
        raise BackupError(f"cannot write {path}: {_one_line(error)}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            result = _write_archive(raw, path, media_root, now or timezone.now())
            raw.flush()
            os.fsync(raw.fileno())
        result.sha256 = _sha256_of(temp)
        _put_in_place(temp, target, force=force)
        _fsync_folder(target.parent)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: {_one_line(error)}") from None
    except DatabaseError as error:
        temp.unlink(missing_ok=True)
        raise BackupError(f"cannot read the database: {_one_line(error)}") from None
    except BaseException:
        # A crash or Ctrl-C: never leave a half-written archive behind.
        temp.unlink(missing_ok=True)
        raise
    return result


# Reading and checking an archive ----------------------------------------------------------

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def media_path(name: str) -> PurePosixPath:
    """Return a media member's path inside MEDIA_ROOT, or refuse a name that could escape it."""
    relative = name.removeprefix(MEDIA_PREFIX)
    parts = relative.split("/")
    if (
        not name.startswith(MEDIA_PREFIX)
        or not relative
        or "\\" in relative
        or "\x00" in relative
        or _WINDOWS_DRIVE.match(relative)
        or any(part in {"", ".", ".."} for part in parts)
    ):
        raise BackupError(
            f"refusing the archive: unsafe file name {name!r} would be written outside MEDIA_ROOT"
        )
    return PurePosixPath(relative)


def check_member_name(name: str) -> None:
    """Refuse any member but the manifest, the data and safely named media files."""
    if name in {MANIFEST, DATA}:
        return
    if name.startswith("/") or ".." in name.split("/") or not name.startswith(MEDIA_PREFIX):
        raise BackupError(
            f"refusing the archive: unsafe or unexpected member {name!r} "
            "(a Newsroom backup holds only manifest.json, data.json and media/…)"
        )
    media_path(name)


def _hash_stream(file) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _members(path: Path):
    """Yield (member, file object) for each member; refuse links and odd names first."""
    with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r:gz") as tar:
        seen = set()
        for member in tar:
            if not member.isreg():
                raise BackupError(
                    f"refusing the archive: {member.name!r} is a link or folder, not a plain file"
                )
            check_member_name(member.name)
            if member.name in seen:
                raise BackupError(f"refusing the archive: {member.name!r} appears twice")
            seen.add(member.name)
            yield member, tar.extractfile(member)
        # Read to the end, so a cut-off copy fails its gzip length and CRC check.
        while tar.fileobj.read(CHUNK_SIZE):
            pass


def _read_manifest(path: Path, data: bytes | None) -> dict:
    if data is None:
        raise BackupError(f"{path} has no manifest.json: it is not a Newsroom backup")
    try:
        manifest = json.loads(data)
    except ValueError:
        raise BackupError(f"{path} has a damaged manifest.json") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Newsroom backup")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise BackupError(
            f"{path} is backup format version {version!r}; "
            f"this version of Newsroom reads version {FORMAT_VERSION} only"
        )
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(n, int) for n in counts.values()):
        raise BackupError(f"{path} has a damaged manifest.json (no counts)")
    members = manifest.get("members")
    if not isinstance(members, dict) or DATA not in members:
        raise BackupError(f"{path} has a damaged manifest.json (no list of members)")
    for name, entry in members.items():
        check_member_name(name)
        if not isinstance(entry, dict) or not {"sha256", "size"} <= entry.keys():
            raise BackupError(f"{path} has a damaged manifest.json (entry for {name!r})")
    return manifest


def read_archive(path) -> VerifiedArchive:
    """Check every member of the archive against its manifest; return what it holds."""
    path = Path(path)
    found, manifest_data, data = {}, None, None
    try:
        for member, file in _members(path):
            if member.name == MANIFEST:
                manifest_data = file.read()
            elif member.name == DATA:
                data = file.read()
                found[DATA] = (hashlib.sha256(data).hexdigest(), len(data))
            else:
                found[member.name] = _hash_stream(file)
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup archive") from None
    except PermissionError as error:
        raise BackupError(f"cannot read {path}: {_one_line(error)}") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"{path} is damaged or cut short, or not a Newsroom backup ({_one_line(error)})"
        ) from None
    manifest = _read_manifest(path, manifest_data)
    listed = manifest["members"]
    _check_members(path, listed, found)
    try:
        objects = json.loads(data)
    except ValueError:
        raise BackupError(f"{path} has a damaged data.json") from None
    if not isinstance(objects, list):
        raise BackupError(f"{path} has a damaged data.json")
    media = {name: entry for name, entry in listed.items() if name.startswith(MEDIA_PREFIX)}
    return VerifiedArchive(manifest=manifest, objects=objects, media=media)


def _check_members(path, listed: dict, found: dict) -> None:
    """Refuse an archive whose members are not exactly those its manifest lists, unchanged."""
    if missing := sorted(listed.keys() - found.keys()):
        raise BackupError(f"{path} is incomplete: {missing[0]} is listed but missing")
    if unlisted := sorted(found.keys() - listed.keys()):
        raise BackupError(f"refusing {path}: {unlisted[0]} is not listed in its manifest")
    for name, (sha256, size) in sorted(found.items()):
        if (sha256, size) != (listed[name]["sha256"], listed[name]["size"]):
            raise BackupError(
                f"{path} is damaged or was changed: {name} does not match its checksum"
            )


# Restore ----------------------------------------------------------------------------------


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


def _destination(media_root: Path, name: str) -> Path:
    destination = media_root / media_path(name)
    # A link inside MEDIA_ROOT (a folder pointing elsewhere) must not carry a file out.
    if not _is_inside(destination, media_root):
        raise BackupError(
            f"refusing the archive: {name!r} would be written outside MEDIA_ROOT through a link"
        )
    return destination


def media_clashes(archive: VerifiedArchive, destinations: dict[str, Path]) -> list[str]:
    """Return the archive's media files that exist in MEDIA_ROOT with different content."""
    clashes = []
    for name, entry in sorted(archive.media.items()):
        destination = destinations[name]
        if destination.is_symlink() or destination.exists():
            if not destination.is_file() or _sha256_of(destination) != entry["sha256"]:
                clashes.append(name.removeprefix(MEDIA_PREFIX))
    return clashes


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


def _stage_media(path: Path, archive: VerifiedArchive, media_root: Path) -> Path:
    """Copy the archive's media into a folder inside MEDIA_ROOT, checking each file again."""
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))
    try:
        for member, file in _members(path):
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
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


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


def _load(objects: list) -> dict[str, int]:
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
    for item in deferred:
        item.save_deferred_fields()
    return dict(counts)


def _reset_sequences(model_list) -> None:
    # Rows came in with their own ids; without this PostgreSQL would hand out ids from
    # wherever its counters stood, and the next new story would clash with a restored one.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), model_list):
            cursor.execute(sql)


def restore(path, *, force: bool = False, media_root=None) -> RestoreResult:
    """Check the archive, then load its rows (all or nothing) and put its media files back."""
    path = Path(path)
    media_root = Path(media_root or settings.MEDIA_ROOT)
    archive = read_archive(path)
    try:
        _check_migrations(archive.manifest)
        existing = database_contents()
    except DatabaseError as error:
        raise BackupError(
            f"the database is not ready (run `manage.py migrate` first): {_one_line(error)}"
        ) from None
    if existing and not force:
        raise BackupError(
            f"the database is not empty ({_describe(existing)}); restore into a freshly "
            "migrated database, or use --force to replace everything in it"
        )
    destinations = {name: _destination(media_root, name) for name in archive.media}
    clashes = [] if force else media_clashes(archive, destinations)
    if clashes:
        raise BackupError(
            f"{len(clashes)} files in MEDIA_ROOT differ from the backup's "
            f"({', '.join(clashes[:3])}); use --force to overwrite them"
        )
    try:
        staging = _stage_media(path, archive, media_root)
    except (OSError, tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(
            f"could not copy the media files into MEDIA_ROOT, nothing was restored: "
            f"{_one_line(error)}"
        ) from None
    try:
        with transaction.atomic():
            if force:
                _empty_database()
            counts = _load(archive.objects)
            connection.check_constraints()
            _reset_sequences(backed_up_models())
            refresh_search_vectors(Article.objects.all())
            page_cache.invalidate()
            # Last, so a failure above leaves MEDIA_ROOT as it was.
            for name, destination in sorted(destinations.items()):
                destination.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / media_path(name), destination)
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
            f"could not load {path}, nothing was restored: {_one_line(error)}"
        ) from None
    except OSError as error:
        raise BackupError(
            "could not put the media files in place, so the database was left as it was "
            f"(some files may already be replaced): {_one_line(error)}"
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        counts=counts,
        media_files=len(archive.media),
        created_at=str(archive.manifest.get("created_at", "?")),
        django_version=str(archive.manifest.get("django_version", "?")),
    )
