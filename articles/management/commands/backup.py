from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from articles.operations.backup import backup
from articles.operations.backup_format import BackupError
from articles.operations.progress import progress_bar


class Command(BaseCommand):
    help = (
        "Write the whole newsroom (every database row and every media file, from MEDIA_ROOT "
        "or the media bucket) to one checksummed archive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", type=Path, metavar="PATH", help="The archive to write, e.g. newsroom.tar.gz."
        )
        parser.add_argument("--force", action="store_true", help="Replace PATH if it exists.")

    def handle(self, *args, path, force, **options):
        try:
            result = backup(path, force=force, progress=partial(progress_bar, self.stderr))
        except BackupError as error:
            raise CommandError(str(error)) from None
        for warning in result.warnings:
            self.stderr.write(f"Warning: {warning}")
        self.stdout.write(
            f"Wrote {result.path} ({filesizeformat(result.size)}): "
            f"{sum(result.counts.values())} rows, {result.media_files} media files "
            f"({filesizeformat(result.media_bytes)}). SHA-256 {result.sha256}"
        )
