"""manage.py import_indicators FILE [--check]: add or update indicator sets without code changes."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators.definitions import IndicatorFileError, load, read, validate


class Command(BaseCommand):
    help = "Import indicator definitions (format anesqc-indicators/1, as fixtures/indicators.json)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--check", action="store_true", help="Validate only; write nothing.")

    def handle(self, *args: Any, path: Path, check: bool, **options: Any) -> None:
        try:
            data = read(path)
            if check:
                errors = validate(data)
                if errors:
                    raise IndicatorFileError(errors)
                self.stdout.write(self.style.SUCCESS(f"{path}: 校验通过，未写入数据库。"))
                return
            count = load(data)
        except IndicatorFileError as exc:
            lines = "\n".join(f"  - {e}" for e in exc.errors)
            raise CommandError(f"指标文件 {path} 未导入，发现 {len(exc.errors)} 个问题：\n{lines}") from exc
        self.stdout.write(self.style.SUCCESS(f"已导入或更新 {count} 个指标。"))
