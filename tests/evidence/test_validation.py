"""What an evidence file may be: its bytes must say PDF, image, Word or Excel, and its extension must agree.

The hostile files of issue 7 (polyglots, scripts, zip bombs, paths in names) are in test_upload_corpus.py.
"""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from common.uploads import ACCEPT, check_file, check_files, checked_name, human_size

from .conftest import (
    DOC_BYTES,
    DOCX_BYTES,
    GIF_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    WEBP_BYTES,
    XLS_BYTES,
    XLSX_BYTES,
    office_zip,
    ole_file,
    upload_file,
)

ACCEPTED = [
    ("制度.pdf", PDF_BYTES, "application/pdf"),
    ("照片.png", PNG_BYTES, "image/png"),
    ("照片.jpg", JPEG_BYTES, "image/jpeg"),
    ("照片.JPEG", JPEG_BYTES, "image/jpeg"),
    ("动图.gif", GIF_BYTES, "image/gif"),
    ("图.webp", WEBP_BYTES, "image/webp"),
    ("记录.doc", DOC_BYTES, "application/msword"),
    ("记录.docx", DOCX_BYTES, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("台账.xls", XLS_BYTES, "application/vnd.ms-excel"),
    ("台账.xlsx", XLSX_BYTES, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
]


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED)
def test_each_allowed_kind_passes_and_its_type_follows_from_the_content(
    name: str, content: bytes, content_type: str
) -> None:
    checked = check_file(upload_file(name, content, "text/html"))  # the browser's claim is ignored
    assert checked.content_type == content_type
    assert checked.size == len(content)
    assert checked.name == name


@pytest.mark.parametrize("name", ["报告.exe", "页面.html", "图.svg", "无扩展名", "压缩.zip", "脚本.pdf.js"])
def test_a_disallowed_type_is_refused_naming_the_file(name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        check_file(upload_file(name, PDF_BYTES))
    assert exc.value.messages == [f"“{name}”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("假.pdf", PNG_BYTES),
        ("假.png", JPEG_BYTES),
        ("假.jpg", b"<html><script>alert(1)</script></html>"),
        ("假.gif", b"GIF90a" + b"\x00" * 10),
        ("假.webp", b"RIFF\x00\x00\x00\x00WAVEfmt "),
        ("假.doc", PDF_BYTES),
        ("假.xls", DOCX_BYTES),
        ("假.docx", DOC_BYTES),
        ("假.doc", XLS_BYTES),  # an OLE file, but an Excel workbook
        ("假.doc", ole_file("\x05SummaryInformation")),  # an OLE file, but neither Word nor Excel (an .msi, say)
        ("假.docx", XLSX_BYTES),  # a ZIP, but an Excel package
        ("假.xlsx", DOCX_BYTES),  # a ZIP, but a Word package
        ("假.docx", office_zip("readme.txt")),  # a plain ZIP renamed
    ],
)
def test_content_that_contradicts_the_extension_is_refused(name: str, content: bytes) -> None:
    with pytest.raises(ValidationError) as exc:
        check_file(upload_file(name, content))
    assert exc.value.messages == [f"“{name}”的内容与扩展名不符。"]


def test_an_oversized_file_is_refused_with_its_size_and_the_limit(settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
    big = upload_file("扫描.pdf", PDF_BYTES)
    big.size = 26_528_973  # 25.3 MB; the limit is checked before any byte is read
    with pytest.raises(ValidationError) as exc:
        check_file(big)
    assert exc.value.messages == ["“扫描.pdf”为 25.3 MB，超过 20 MB 的上限。"]


def test_the_size_limit_comes_from_the_setting(settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024
    check_file(upload_file("小.pdf", PDF_BYTES + b"\x00" * (1024 - len(PDF_BYTES))))  # exactly at the limit
    with pytest.raises(ValidationError) as exc:
        check_file(upload_file("大.pdf", PDF_BYTES + b"\x00" * (2048 - len(PDF_BYTES))))
    assert exc.value.messages == ["“大.pdf”为 2 KB，超过 1 KB 的上限。"]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        check_file(upload_file("空.pdf", b""))
    assert exc.value.messages == ["“空.pdf”是空文件。"]


def test_every_bad_file_of_a_batch_is_named_at_once() -> None:
    files = [upload_file("好.pdf", PDF_BYTES), upload_file("坏.exe", b"MZ"), upload_file("假.png", PDF_BYTES)]
    with pytest.raises(ValidationError) as exc:
        check_files(files)
    assert exc.value.message_dict == {
        "files": [
            "“坏.exe”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。",
            "“假.png”的内容与扩展名不符。",
        ]
    }


def test_an_empty_batch_asks_for_files() -> None:
    with pytest.raises(ValidationError) as exc:
        check_files([])
    assert exc.value.message_dict == {"files": ["请选择要上传的文件。"]}


def test_a_damaged_file_is_refused_as_such() -> None:
    for name, content in [("坏.xlsx", b"PK\x03\x04 not really a zip"), ("坏.png", PNG_BYTES[:-5])]:
        with pytest.raises(ValidationError) as exc:
            check_file(upload_file(name, content))
        assert exc.value.messages == [f"“{name}”已损坏或格式不完整，无法上传。"]


def test_names_are_kept_as_given_and_long_ones_trimmed_to_the_column() -> None:
    assert checked_name(" 2026.03 制度（终稿）.pdf ") == "2026.03 制度（终稿）.pdf"
    long = checked_name("长" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")


def test_reading_the_signature_leaves_the_file_at_its_start() -> None:
    upload = upload_file("记录.docx", DOCX_BYTES)
    check_file(upload)
    assert upload.read(4) == b"PK\x03\x04"


def test_sizes_read_naturally() -> None:
    assert human_size(20 * 1024 * 1024) == "20 MB"
    assert human_size(26_528_973) == "25.3 MB"
    assert human_size(2000) == "2 KB"


def test_the_picker_offers_exactly_the_accepted_extensions() -> None:
    extensions = {part for part in ACCEPT.split(",") if part.startswith(".")}
    assert extensions == {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".doc", ".docx", ".xls", ".xlsx"}
