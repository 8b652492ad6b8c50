"""`manage.py backup --out DIR`: the database and the media files, with a manifest of hashes (anesqc/backup.py)."""

from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from common.backup import BackupError, Database, backup


class Command(BaseCommand):
    help = "Back up the database (pg_dump, or a copy of SQLite) and the media storage into a new directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="a new (or empty) directory for the backup")
        parser.add_argument(
            "--skip-media", action="store_true", help="the database only (media backed up by other means)"
        )
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        database = Database(connections[options["database"]].settings_dict)
        storage = None if options["skip_media"] else default_storage
        try:
            manifest = backup(options["out"], database=database, storage=storage, log=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"backup written to {options['out']} ({manifest['created_at']})"))
