"""Evidence tests write files: every test gets its own MEDIA_ROOT, and helpers to build files of each kind."""

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from evidence.models import Evidence
from evidence.services import evidence_upload
from scoring.models import Assessment, Criterion

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


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
