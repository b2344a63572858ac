"""Write the whole newsroom, database rows and media files, to one backup archive."""

import datetime
import hashlib
import io
import itertools
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from articles.operations.backup_format import (
    DATA,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    MATCHED_BY_NAME,
    MEDIA_PREFIX,
    STAGING_PREFIX,
    STORAGE_ERRORS,
    BackupError,
    applied_migrations,
    backed_up_models,
    is_inside,
    local_path,
    media_location,
    media_path,
    one_line,
    sha256_of,
)
from articles.operations.progress import no_progress

BATCH_SIZE = 500
# Rows that refer to these are written with natural keys: (app, model) and not an id.
REFERRED_TO_BY_NAME = {"contenttypes.contenttype", "auth.permission", "auth.group"}
# Derived data, recomputed after a restore rather than stored.
DERIVED_FIELDS = {"articles.article": {"search_vector"}}


@dataclass
class BackupResult:
    path: Path
    size: int
    sha256: str
    counts: dict[str, int]
    media_files: int
    media_bytes: int
    warnings: list[str] = field(default_factory=list)


# Rows -------------------------------------------------------------------------------------


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


def dump_data(stream, advance=lambda rows: None) -> dict[str, int]:
    """Write every backed-up row to stream as a JSON list; return the rows per model.
    `advance(n)` is told of each batch of n rows written."""
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
            advance(len(batch))
    stream.write("\n]\n")
    return counts


# Media and the archive -------------------------------------------------------------------


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


def _is_plain(storage, name: str, *, folder: bool = False) -> bool:
    """Whether a name on disk is a real folder or file, not a link or a device; a bucket
    has nothing else."""
    path = local_path(storage, name)
    if path is None:
        return True
    return not path.is_symlink() and (path.is_dir() if folder else path.is_file())


def _is_restorable(name: str) -> bool:
    try:
        media_path(MEDIA_PREFIX + name)
    except BackupError:
        return False
    return True


def media_files(storage) -> tuple[list[str], list[str], list[str]]:
    """Return the name of every file in the media storage, then what was skipped: links and
    special files on disk (never followed, so a link cannot pull a file from elsewhere on the
    server into a backup), and names that a restore would refuse."""
    found, links, unsafe, folders = [], [], [], [""]
    while folders:
        folder = folders.pop()
        try:
            folder_names, file_names = storage.listdir(folder)
        except FileNotFoundError:
            continue  # no MEDIA_ROOT yet, or a folder removed while this walked
        for name in folder_names:
            if name.startswith(STAGING_PREFIX):
                continue
            if _is_plain(storage, folder + name, folder=True):
                folders.append(f"{folder}{name}/")
            else:
                links.append(folder + name)
        for name in file_names:
            if not _is_restorable(folder + name):
                unsafe.append(folder + name)
            elif _is_plain(storage, folder + name):
                found.append(folder + name)
            else:
                links.append(folder + name)
    return sorted(found), sorted(links), sorted(unsafe)


def _add_bytes(tar, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_media(tar, storage, name: str) -> tuple[str, int]:
    with storage.open(name, "rb") as file:
        info = tarfile.TarInfo(MEDIA_PREFIX + name)
        info.size, info.mode = file.size, 0o644
        info.mtime = storage.get_modified_time(name).timestamp()
        reader = _HashingReader(file)
        tar.addfile(info, reader)
    return reader.hash.hexdigest(), info.size


def _missing_media(present: set[str]) -> list[str]:
    """Return the files that rows name (image and file fields) but the media storage lacks."""
    missing = []
    for model in backed_up_models():
        for file_field in model._meta.fields:
            if isinstance(file_field, models.FileField):
                names = model._base_manager.exclude(**{file_field.attname: ""}).values_list(
                    file_field.attname, flat=True
                )
                missing += [n for n in names if n and n not in present]
    return sorted(set(missing))


def _add_media_files(tar, storage, names: list[str], members: dict, advance) -> int:
    """Add each media file to the archive and to members; return their bytes in all."""
    media_bytes = 0
    for name in names:
        try:
            sha256, size = _add_media(tar, storage, name)
        except tarfile.TarError as error:
            raise BackupError(f"media file {name} changed while it was read: {error}") from None
        except STORAGE_ERRORS as error:
            raise BackupError(f"cannot read media file {name}: {one_line(error)}") from None
        members[MEDIA_PREFIX + name] = {"sha256": sha256, "size": size}
        media_bytes += size
        advance(1)
    return media_bytes


def _warnings(storage, links: list[str], unsafe: list[str], missing: list[str]) -> list[str]:
    where, warnings = media_location(storage), []
    if links:
        warnings.append(
            f"skipped {len(links)} links or special files in {where}: " + ", ".join(links[:5])
        )
    if unsafe:
        warnings.append(
            f"skipped {len(unsafe)} files in {where} whose names a restore would refuse: "
            + ", ".join(repr(name) for name in unsafe[:5])
        )
    if missing:
        warnings.append(
            f"{len(missing)} files named in the database are missing from {where}: "
            + ", ".join(missing[:5])
        )
    return warnings


def _list_media(storage) -> tuple[list[str], list[str], list[str]]:
    try:
        return media_files(storage)
    except STORAGE_ERRORS as error:
        raise BackupError(
            f"cannot list the media files in {media_location(storage)}: {one_line(error)}"
        ) from None


def _write_archive(raw, path: Path, storage, created_at, progress) -> BackupResult:
    members = {}
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
                rows = sum(model._base_manager.count() for model in backed_up_models())
                with progress(total=rows, unit="rows", description="Database") as bar:
                    counts = dump_data(writer, advance=bar.update)
                migrations = applied_migrations()
                files, links, unsafe = _list_media(storage)
                missing = _missing_media(set(files))
            data_file.seek(0)
            info = tarfile.TarInfo(DATA)
            info.size, info.mtime, info.mode = writer.size, mtime, 0o600
            tar.addfile(info, data_file)
            members[DATA] = {"sha256": writer.hash.hexdigest(), "size": writer.size}
        with progress(total=len(files), unit="files", description="Media") as bar:
            media_bytes = _add_media_files(tar, storage, files, members, advance=bar.update)
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
    return BackupResult(
        path=path,
        size=raw.tell(),
        sha256="",
        counts=counts,
        media_files=len(files),
        media_bytes=media_bytes,
        warnings=_warnings(storage, links, unsafe, missing),
    )


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


def backup(
    path, *, force: bool = False, storage=default_storage, now=None, progress=no_progress
) -> BackupResult:
    """Write the database content and every file in the media storage (MEDIA_ROOT or the
    bucket) to one archive at path.
    `progress` makes the bar for each stage (articles/operations/progress.py)."""
    path = Path(path)
    target = path.absolute()
    media_root = local_path(storage, "")
    if media_root and is_inside(target, media_root):
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
        raise BackupError(f"cannot write {path}: {one_line(error)}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            result = _write_archive(raw, path, storage, now or timezone.now(), progress)
            raw.flush()
            os.fsync(raw.fileno())
        result.sha256 = sha256_of(temp)
        _put_in_place(temp, target, force=force)
        _fsync_folder(target.parent)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise BackupError(f"cannot write {path}: {one_line(error)}") from None
    except DatabaseError as error:
        temp.unlink(missing_ok=True)
        raise BackupError(f"cannot read the database: {one_line(error)}") from None
    except BaseException:
        # A crash or Ctrl-C: never leave a half-written archive behind.
        temp.unlink(missing_ok=True)
        raise
    return result
