"""Reading a case file: the rows of a CSV (UTF-8, with or without BOM) or an XLSX workbook, every cell as text."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _

from common.filetypes import ContentProblem, zip_limits
from common.xlsx import BROKEN_WORKBOOK


class CaseFileError(ValueError):
    """A file that cannot be read as a case table at all (not CSV/XLSX, bad encoding, bad header)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{e['row']}/{e['column']}: {e['reason']}" for e in errors))
        self.errors = errors


def _cell(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(file: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # imported late: only XLSX uploads pay for it

    try:
        # Before openpyxl inflates anything: a case file may unpack to a gigabyte, but not 100 times its size.
        zip_limits(file, max_unpacked=None)
    except ContentProblem as exc:
        reason = (
            _("文件解压后异常庞大（疑似压缩炸弹），已拒绝。")
            if exc.code == "bomb"
            else _("文件不是有效的 XLSX 工作簿。")
        )
        raise CaseFileError([{"row": 0, "column": "", "reason": reason}]) from exc
    broken = CaseFileError([{"row": 0, "column": "", "reason": _("文件不是有效的 XLSX 工作簿（已损坏或不完整）。")}])
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except BROKEN_WORKBOOK as exc:
        raise broken from exc
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):  # read lazily: broken XML shows only now
            yield [_cell(v) for v in values]
    except BROKEN_WORKBOOK as exc:
        raise broken from exc
    finally:
        workbook.close()


def _csv_rows(file: IO[bytes]) -> Iterator[list[str]]:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        yield from reader
    except UnicodeDecodeError as exc:
        raise CaseFileError([{"row": 0, "column": "", "reason": _("文件不是 UTF-8 编码的 CSV：%s") % exc}]) from exc
    except csv.Error as exc:  # e.g. a field longer than the csv module's limit (131,072 characters)
        reason = _("第 %(row)s 行无法读取：%(error)s") % {"row": reader.line_num, "error": exc}
        raise CaseFileError([{"row": reader.line_num, "column": "", "reason": reason}]) from exc
    finally:
        text.detach()


def read_rows(file: IO[bytes]) -> Iterator[list[str]]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX file, each cell as text; the format is sniffed."""
    head = file.read(4)
    file.seek(0)
    if head == b"PK\x03\x04":
        return _xlsx_rows(file)
    return _csv_rows(file)


def file_sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
