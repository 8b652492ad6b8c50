"""What an evidence file may be: PDF, images, Word or Excel, checked by extension AND leading bytes, and size.

The browser's declared content type is never trusted: the stored type follows
from the extension once the file's own signature has confirmed it.
"""

import zipfile
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

PDF = b"%PDF-"
PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"
GIFS = (b"GIF87a", b"GIF89a")
ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 16


@dataclass(frozen=True)
class Kind:
    """One accepted file type: its content type and the check of its leading bytes."""

    content_type: str
    zip_folder: str = ""  # docx/xlsx: the folder an Office Open XML package of this kind must contain

    def head_matches(self, head: bytes) -> bool:
        ct = self.content_type
        if ct == "application/pdf":
            return head.startswith(PDF)
        if ct == "image/png":
            return head.startswith(PNG)
        if ct == "image/jpeg":
            return head.startswith(JPEG)
        if ct == "image/gif":
            return head.startswith(GIFS)
        if ct == "image/webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        if self.zip_folder:
            return head.startswith(ZIP)
        return head.startswith(OLE)  # .doc and .xls: OLE compound documents


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS: dict[str, Kind] = {
    ".pdf": Kind("application/pdf"),
    ".jpg": Kind("image/jpeg"),
    ".jpeg": Kind("image/jpeg"),
    ".png": Kind("image/png"),
    ".gif": Kind("image/gif"),
    ".webp": Kind("image/webp"),
    ".doc": Kind("application/msword"),
    ".docx": Kind(DOCX, zip_folder="word/"),
    ".xls": Kind("application/vnd.ms-excel"),
    ".xlsx": Kind(XLSX, zip_folder="xl/"),
}
# For the file picker's `accept` attribute: extensions and content types alike.
ACCEPT = ",".join([*KINDS, *sorted({k.content_type for k in KINDS.values()})])


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, with what the checks established."""

    upload: Any
    name: str
    extension: str
    content_type: str
    size: int


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def _one_decimal(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}".removesuffix(".0")


def megabytes(size: int) -> str:
    """25.3 for 26_528_973 bytes; 20 for exactly 20 MiB (no trailing .0)."""
    return _one_decimal(Decimal(size) / Decimal(1024 * 1024))


def human_size(size: int) -> str:
    """Like "25.3 MB" or "20 MB"; below a tenth of a megabyte in KB ("1.9 KB"), so small limits still read right."""
    if size < 1024 * 1024 // 10:
        return f"{_one_decimal(Decimal(size) / Decimal(1024))} KB"
    return f"{megabytes(size)} MB"


def clean_name(raw: str) -> str:
    """The file's own name without any client-side path, trimmed to fit the column."""
    name = PurePath(raw.replace("\\", "/")).name.strip() or "file"
    if len(name) > 255:
        suffix = PurePath(name).suffix[:20]
        name = name[: 255 - len(suffix)] + suffix
    return name


def _read_head(fh: IO[bytes]) -> bytes:
    fh.seek(0)
    head = fh.read(HEAD_BYTES)
    fh.seek(0)
    return head


def _zip_has_folder(fh: IO[bytes], folder: str) -> bool:
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            # Only the central directory is read: nothing is decompressed.
            return any(name.startswith(folder) for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        fh.seek(0)


def check_file(upload: Any) -> CheckedFile:
    """Check one uploaded file; ValidationError with a message naming it if it is not acceptable."""
    name = clean_name(getattr(upload, "name", "") or "")
    extension = PurePath(name).suffix.lower()
    kind = KINDS.get(extension)
    if kind is None:
        raise ValidationError(
            _("“%(name)s”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。") % {"name": name}, code="type"
        )
    size = int(upload.size or 0)
    limit = max_bytes()
    if size > limit:
        raise ValidationError(
            _("“%(name)s”为 %(size)s，超过 %(limit)s 的上限。")
            % {"name": name, "size": human_size(size), "limit": human_size(limit)},
            code="size",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s”是空文件。") % {"name": name}, code="empty")
    head = _read_head(upload)
    matches = kind.head_matches(head) and (not kind.zip_folder or _zip_has_folder(upload, kind.zip_folder))
    if not matches:
        raise ValidationError(_("“%(name)s”的内容与扩展名不符。") % {"name": name}, code="signature")
    return CheckedFile(upload=upload, name=name, extension=extension, content_type=kind.content_type, size=size)


def check_files(uploads: list[Any]) -> list[CheckedFile]:
    """Check every file; if any fails, ValidationError on `files` listing every failure, one per file."""
    if not uploads:
        raise ValidationError({"files": [_("请选择要上传的文件。")]})
    checked: list[CheckedFile] = []
    errors: list[str] = []
    for upload in uploads:
        try:
            checked.append(check_file(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError({"files": errors})
    return checked
