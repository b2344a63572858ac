"""The backup archive's format: what it holds, and reading and checking one.

An archive is a gzipped tar file holding:

    data.json       every row, in Django's serialisation format (what `dumpdata` writes)
    media/<path>    every file in the media storage: under MEDIA_ROOT, or in the bucket
    manifest.json   the last member: format version, creation time, Django version, the
                    migrations the data belongs to, rows per model, and the SHA-256 and size
                    of every other member

`restore()` checks every member against the manifest before it touches the database or
the media storage, then loads all rows in one transaction. The checksums find damage (a truncated
copy, a flipped bit, an edited file); they are not a signature, so anyone who can rewrite
the archive can also rewrite its manifest. Keep backups where only the operators can write.
"""

import hashlib
import json
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from botocore.exceptions import BotoCoreError, ClientError
from django.apps import apps
from django.core import serializers
from django.db import connection, models
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "newsroom-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA = "data.json"
MEDIA_PREFIX = "media/"
# A crashed restore can leave one of these behind in MEDIA_ROOT; a backup never includes it.
STAGING_PREFIX = ".newsroom-restore-"
CHUNK_SIZE = 1024 * 1024
# What the media storage raises when it cannot be read or written: a disk's errors, or a
# bucket's (unreachable, refused credentials, no such bucket).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)

# `migrate` makes content types and permissions itself, so a fresh database already has
# them, under ids of its own: the backup refers to them by natural key instead of storing
# them. Sessions are throwaway, and restored into another database they could sign someone
# in as whoever now has their old user id.
NOT_BACKED_UP = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
# The role groups are made by a migration too, so they are matched by name, not by id.
MATCHED_BY_NAME = {"auth.group"}


class BackupError(Exception):
    """A backup or a restore that cannot go ahead; the message says why, in one line."""


@dataclass
class VerifiedArchive:
    manifest: dict
    objects: list
    media: dict[str, dict]  # archive member name -> {"sha256": ..., "size": ...}


# Models -----------------------------------------------------------------------------------


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
    return stored_models(leaving_out=NOT_BACKED_UP)


def applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations()
    )


# Helpers for both directions --------------------------------------------------------------


def one_line(error) -> str:
    text = getattr(error, "strerror", None) or str(error) or type(error).__name__
    return " ".join(text.split())


def local_path(storage, name: str) -> Path | None:
    """Return where the storage keeps this name on this server's disk; None for a bucket."""
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


def media_location(storage) -> str:
    """Name the media storage for messages: MEDIA_ROOT, or the bucket."""
    bucket = getattr(storage, "bucket_name", None)
    return f"the media bucket {bucket!r}" if bucket else "MEDIA_ROOT"


def is_inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


# Reading and checking an archive ----------------------------------------------------------

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def media_path(name: str) -> PurePosixPath:
    """Return a media member's name in the media storage, or refuse one that could escape it."""
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
            f"refusing the archive: unsafe file name {name!r} would be written outside "
            "the media storage"
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


def hash_stream(file) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def archive_members(path: Path):
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
        for member, file in archive_members(path):
            if member.name == MANIFEST:
                manifest_data = file.read()
            elif member.name == DATA:
                data = file.read()
                found[DATA] = (hashlib.sha256(data).hexdigest(), len(data))
            else:
                found[member.name] = hash_stream(file)
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a folder, not a backup archive") from None
    except PermissionError as error:
        raise BackupError(f"cannot read {path}: {one_line(error)}") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(
            f"{path} is damaged or cut short, or not a Newsroom backup ({one_line(error)})"
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
