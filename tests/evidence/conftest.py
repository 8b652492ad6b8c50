"""Evidence tests write files: every test gets its own MEDIA_ROOT, and helpers to build files of each kind."""

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.models import Evidence
from evidence.services import evidence_upload
from scoring.models import Assessment, Criterion

PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
GIF_BYTES = b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 16
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 24
OLE_BYTES = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64


def office_zip(*names: str) -> bytes:
    """A ZIP holding the given member names, like an Office Open XML package."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<x/>")
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
