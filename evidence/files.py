"""Uploaded files kept with their checksum: the shared model fields, storing an upload, serving it back.

Used by evidence files (`evidence.models.Evidence`) and by the follow-up files of
rectification (`rectification.models.RectificationEvidence`). Each concrete model
declares its own `file` FileField, since where files are stored differs.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

    from .validation import CheckedFile


class StoredFile(models.Model):
    """What is kept about one uploaded file besides the file itself: its name, type, size, checksum, uploader."""

    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=127)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    if TYPE_CHECKING:
        file: FieldFile  # declared by each concrete model, with its own upload_to

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def previews_inline(self) -> bool:
        """PDFs and images are shown in the browser; Word and Excel files are downloaded."""
        return self.is_image or self.is_pdf

    def store(self, checked: "CheckedFile", *, sha256: str, uploaded_by: Any) -> str:
        """Fill in what the checks established and write the upload to storage (the row is not saved).

        Returns the stored name, for `files_removed_on_failure`.
        """
        self.original_name = checked.name
        self.content_type = checked.content_type
        self.size = checked.size
        self.sha256 = sha256
        self.uploaded_by = uploaded_by
        self.file.save(checked.name, checked.upload, save=False)
        return str(self.file.name)


def field_names(model: type[StoredFile]) -> list[str]:
    """The model's field names with the shared ones right after `file`, the order of its table's columns.

    (Inherited fields would otherwise come first.) For the admin's read-only views.
    """
    shared = [f.name for f in StoredFile._meta.local_fields]
    own = [f.name for f in model._meta.fields if f.name not in shared]
    after_file = own.index("file") + 1
    return own[:after_file] + shared + own[after_file:]


def sha256_of(upload: Any) -> str:
    """The hex SHA-256 of an upload, read chunk by chunk."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def files_removed_on_failure(storage: Storage | None = None) -> Iterator[list[str]]:
    """Yield a list for the names of files written in the block; if the block raises, delete them and re-raise.

    The files go to `storage` (default: the default storage, where FileFields without their own
    storage write). Wrap the block's own transaction in it so that no file outlives a row that
    was never committed.
    """
    written: list[str] = []
    try:
        yield written
    except BaseException:
        target = storage if storage is not None else default_storage
        for name in written:
            target.delete(name)
        raise


def serve_stored_file(stored: StoredFile) -> FileResponse:
    """The file as a response: PDFs and images inline, the rest as a download; 404 if it is gone from storage."""
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=stored.content_type,
        as_attachment=not stored.previews_inline,
        filename=stored.original_name,
    )
    # The type was checked against the file's bytes at upload; browsers must not guess another.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
