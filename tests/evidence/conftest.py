"""Evidence tests write files: every test gets its own MEDIA_ROOT, and helpers to build files of each kind."""

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from evidence.models import Evidence
from evidence.services import evidence_upload
from scoring.models import Assessment, Criterion


def pdf_bytes(
    *texts: str, build: Callable[[pikepdf.Pdf], Any] | None = None, blue_box: bool = False, **save: Any
) -> bytes:
    """A real PDF made with pikepdf: one A4 page per text (ASCII, in Helvetica), `build` run on it before saving.

    `blue_box` draws a large blue rectangle on each page (the browser test looks for it on screen);
    `save` goes to `Pdf.save` (object_stream_mode=..., encryption=...).
    """
    pdf = pikepdf.new()
    font = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    )
    for text in texts or ("Anesthesia QC",):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        box = b" 0 0 1 rg 72 200 451 400 re f" if blue_box else b""
        page.Contents = pdf.make_stream(b"BT /F1 24 Tf 72 760 Td (" + text.encode("ascii") + b") Tj ET" + box)
    if build is not None:
        build(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, **save)
    return buffer.getvalue()


def raw_pdf(
    objects: dict[int, bytes], *, in_stream: dict[int, bytes] | None = None, filters: bytes = b"/FlateDecode"
) -> bytes:
    """A PDF written byte by byte, for what pikepdf would not write (escaped names, orphans, hostile streams).

    `objects` are written as they are (object 1 is the catalog); `in_stream` objects go into one object
    stream, compressed with zlib (`filters` names the filter its dictionary claims). The
    cross-reference is a stream, so the compressed objects can be listed in it.
    """
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    compressed: dict[int, int] = {}
    if in_stream:
        stream_number = max([*objects, *in_stream]) + 1
        parts, position = [], 0
        for number, body in in_stream.items():
            parts.append(b"%d %d" % (number, position))
            position += len(body) + 1
        header = b" ".join(parts) + b"\n"
        data = zlib.compress(header + b"\n".join(in_stream.values()))
        offsets[stream_number] = len(out)
        out += (
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter %s /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (
                stream_number,
                len(in_stream),
                len(header),
                filters,
                len(data),
                data,
            )
        )
        compressed = {number: stream_number for number in in_stream}
    size = max([*offsets, *compressed]) + 2
    xref_number = size - 1
    offsets[xref_number] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    for number in range(1, xref_number + 1):
        if number in compressed:
            rows.append(struct.pack(">BIH", 2, compressed[number], list(in_stream or {}).index(number)))
        elif number in offsets:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
        else:
            rows.append(struct.pack(">BIH", 0, 0, 0))
    table = b"".join(rows)
    out += (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n%s\nendstream\nendobj\n"
        % (
            xref_number,
            size,
            len(table),
            table,
        )
    )
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


# The catalog, page tree and one page of `raw_pdf` documents; the page takes more keys through %s.
RAW_CATALOG = b"<< /Type /Catalog /Pages 2 0 R %s >>"
RAW_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
RAW_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> %s >>"

PDF_BYTES = pdf_bytes()


def image_bytes(fmt: str, size: tuple[int, int] = (8, 8), **options: Any) -> bytes:
    """A real image of the given Pillow format (PNG, JPEG, GIF, WEBP)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt, **options)
    return buffer.getvalue()


PNG_BYTES = image_bytes("PNG")
JPEG_BYTES = image_bytes("JPEG")
GIF_BYTES = image_bytes("GIF")
WEBP_BYTES = image_bytes("WEBP")


def ole_file(*entries: str) -> bytes:
    """A minimal OLE compound file (old .doc/.xls) whose directory holds the given entries (as streams).

    Only what the checks read is filled in: the signature, byte order and sector size in the
    header, and 128-byte directory entries (UTF-16 name, its byte length, the entry type).
    """
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[28:30] = b"\xfe\xff"
    header[30] = 9  # 512-byte sectors
    directory = bytearray()
    for index, name in enumerate(["Root Entry", *entries]):
        entry = bytearray(128)
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        entry[: len(encoded)] = encoded
        entry[64:66] = len(encoded).to_bytes(2, "little")
        entry[66] = 5 if index == 0 else 2
        directory += entry
    directory += bytes(-len(directory) % 512)
    return bytes(header) + bytes(directory) + bytes(512)


DOC_BYTES = ole_file("WordDocument", "\x05SummaryInformation")
XLS_BYTES = ole_file("Workbook", "\x05SummaryInformation")


def office_zip(*names: str, content: bytes = b"<x/>") -> bytes:
    """A ZIP holding the given member names, like an Office Open XML package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX_BYTES = office_zip("word/document.xml")
XLSX_BYTES = office_zip("xl/workbook.xml")


def upload_file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "制度.pdf") -> SimpleUploadedFile:
    return upload_file(name, PDF_BYTES, "application/pdf")


def png(name: str = "照片.png") -> SimpleUploadedFile:
    return upload_file(name, PNG_BYTES, "image/png")


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def criterion(code: str = "1.1-1-1") -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def attach(actor: Any, assessment: Assessment, *files: Any, code: str = "1.1-1-1") -> list[Evidence]:
    """Upload through the service, as the app does."""
    return evidence_upload(actor=actor, assessment=assessment, criterion=criterion(code), files=list(files) or [pdf()])


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root
