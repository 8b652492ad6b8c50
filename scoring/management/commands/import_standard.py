"""manage.py import_standard FILE [--replace] [--check]: load a standard from the documented JSON format."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.numbers import fmt
from scoring.standards import StandardFileError, read_standard_file, standard_import, validate_standard


class Command(BaseCommand):
    help = "Import a scoring standard from a JSON file (format anesqc-standard/1, see docs/standard-format.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="The standard file (JSON).")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace a standard with the same code, if no assessment uses it yet.",
        )
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args: Any, path: Path, replace: bool, check: bool, **options: Any) -> None:
        try:
            data = read_standard_file(path)
            if check:
                errors = validate_standard(data)
                if errors:
                    raise StandardFileError(errors)
                self.stdout.write(self.style.SUCCESS(f"{path}: 校验通过（{data['code']}），未写入数据库。"))
                return
            standard = standard_import(data=data, replace=replace)
        except StandardFileError as exc:
            lines = "\n".join(f"  - {e}" for e in exc.errors)
            raise CommandError(f"标准文件 {path} 未导入，发现 {len(exc.errors)} 个问题：\n{lines}") from exc
        count = standard.criteria.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入标准 {standard.code}：{standard.chapters.count()} 章，{count} 条细则，"
                f"总分 {fmt(standard.total_points)}。"
            )
        )
