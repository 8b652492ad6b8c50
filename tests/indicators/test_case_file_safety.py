"""A case file's XLSX is checked for a zip bomb before openpyxl inflates it (issue 7, uploads)."""

import io
import zipfile

import pytest

from indicators.cases import CaseFileError, case_import, read_rows
from indicators.models import Case, CaseImport
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def xlsx_bomb() -> io.BytesIO:
    """An XLSX whose first sheet is 20 MiB of zeros, deflated a thousandfold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(20 * 1024 * 1024))
    buffer.seek(0)
    buffer.name = "cases.xlsx"
    return buffer


def test_a_zip_bomb_is_refused_before_it_is_read(cast: Cast) -> None:
    job = case_import(actor=cast.head_a, hospital=cast.hospital_a, file=xlsx_bomb())
    assert job.status == CaseImport.Status.REJECTED
    assert job.errors == [{"row": 0, "column": "", "reason": "文件解压后异常庞大（疑似压缩炸弹），已拒绝。"}]
    assert not Case.objects.exists()


def test_a_broken_xlsx_is_refused_with_a_message() -> None:
    broken = io.BytesIO(b"PK\x03\x04 not a zip at all")
    with pytest.raises(CaseFileError) as exc:
        list(read_rows(broken))
    assert exc.value.errors == [{"row": 0, "column": "", "reason": "文件不是有效的 XLSX 工作簿。"}]
