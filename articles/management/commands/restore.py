from functools import partial
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.operations.backup_format import BackupError, read_archive
from articles.operations.progress import progress_bar
from articles.operations.restore import restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `backup`: checks every checksum first, then loads all rows "
        "in one transaction and puts the media files back."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, metavar="PATH", help="The archive to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a database that already has content (everyone is "
            "signed out), and overwrite media files that differ from the backup's.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only check the archive's checksums and say what it holds; change nothing.",
        )

    def handle(self, *args, path, force, check, **options):
        try:
            if check:
                archive = read_archive(path)
                counts, media_files = archive.manifest["counts"], len(archive.media)
                manifest = archive.manifest
                self.stdout.write(f"{path} is intact, made {manifest.get('created_at')}:")
            else:
                result = restore(path, force=force, progress=partial(progress_bar, self.stderr))
                counts, media_files = result.counts, result.media_files
                self.stdout.write(
                    f"Restored {path}, made {result.created_at} "
                    f"with Django {result.django_version}:"
                )
        except BackupError as error:
            raise CommandError(str(error)) from None
        for label, count in sorted(counts.items()):
            if count:
                self.stdout.write(f"  {count:>7} {label}")
        self.stdout.write(f"  {media_files:>7} media files")
