"""manage.py import_cases --hospital-id N FILE [--partial]: import a department's case export from the console."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Hospital
from indicators.cases import case_import
from indicators.models import CaseImport


class Command(BaseCommand):
    help = "Import a case file (CSV or XLSX); all or nothing unless --partial. Prints counts and errors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hospital-id", type=int, required=True)
        parser.add_argument("path", type=Path)
        parser.add_argument("--partial", action="store_true", help="Import the valid rows even if others fail.")

    def handle(self, *args: Any, hospital_id: int, path: Path, partial: bool, **options: Any) -> None:
        hospital = Hospital.objects.filter(pk=hospital_id).first()
        if hospital is None:
            raise CommandError(f"医院 {hospital_id} 不存在。")
        try:
            with open(path, "rb") as f:
                job = case_import(actor=None, hospital=hospital, file=f, name=path.name, partial=partial)
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        for e in job.errors:
            self.stderr.write(f"第 {e['row']} 行，列 {e['column'] or '-'}：{e['reason']}")
        summary = f"{job.rows} 行，导入 {job.imported} 行，拒绝 {job.rejected} 行（{job.get_status_display()}）。"
        if job.status == CaseImport.Status.REJECTED:
            raise CommandError(f"未导入任何病例：{summary}")
        self.stdout.write(self.style.SUCCESS(summary))
