"""Uploaded files kept with their checksum: the shared model fields, storing an upload, serving it back.

Used by evidence files (`evidence.models.Evidence`), the follow-up files of rectification
(`rectification.models.RectificationEvidence`) and department-profile documents
(`departments.models.ProfileDocument`). Each concrete model declares its own `file`
FileField, since where files are stored differs; every `upload_to` makes the stored name
from a random UUID and the checked extension, never from the user's file name.
"""

import base64
import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import models
from django.dispatch import Signal
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models.fields.files import FieldFile

    from .uploads import CheckedFile


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

    @property
    def repr_digest(self) -> str:
        """The recorded SHA-256 as an RFC 9530 `Repr-Digest` header value."""
        return f"sha-256=:{base64.b64encode(bytes.fromhex(self.sha256)).decode()}:"

    def store(self, checked: "CheckedFile", *, sha256: str, uploaded_by: Any) -> str:
        """Fill in what the checks established and write the upload to storage (the row is not saved).

        Returns the stored name, for `files_removed_on_failure`.
        """
        self.original_name = checked.name
        self.content_type = checked.content_type
        self.size = checked.size
        self.sha256 = sha256
        self.uploaded_by = uploaded_by
        # upload_to keeps only the extension; the user's name is never part of the stored one.
        self.file.save(f"upload{checked.extension}", checked.upload, save=False)
        return str(self.file.name)


def field_names(model: type[StoredFile]) -> list[str]:
    """The model's field names with the shared ones right after `file`, the order of its table's columns.

    (Inherited fields would otherwise come first.) For the admin's read-only views.
    """
    shared = [f.name for f in StoredFile._meta.local_fields]
    own = [f.name for f in model._meta.fields if f.name not in shared]
    after_file = own.index("file") + 1
    return own[:after_file] + shared + own[after_file:]


logger = logging.getLogger(__name__)

# Sent with (request, stored, actual) when a stored file's bytes no longer match its recorded SHA-256.
# The audit trail records it (audit.receivers): the ground floor tells, the app above keeps the record.
file_integrity_failure = Signal()


def _sha256_of_chunks(chunks: Any) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of(upload: Any) -> str:
    """The hex SHA-256 of an upload, read chunk by chunk."""
    return _sha256_of_chunks(upload.chunks())


def sha256_of_handle(handle: IO[bytes]) -> str:
    """The hex SHA-256 of an open file from its start, leaving it at its start."""
    handle.seek(0)
    try:
        return _sha256_of_chunks(iter(lambda: handle.read(1 << 20), b""))
    finally:
        handle.seek(0)


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


def serve_stored_file(request: HttpRequest, stored: StoredFile) -> HttpResponseBase:
    """The file as a download, after checking its bytes against the SHA-256 recorded at upload.

    Every answer is `Content-Disposition: attachment` with `X-Content-Type-Options: nosniff`,
    except a preview (`?preview=1`) of a PDF or a raster image, which is shown inline: the
    evidence block's thumbnails and its in-place PDF viewer use it. Those types were recognised
    from the bytes at upload (no HTML, no script inside, no PDF actions), nosniff keeps the browser
    to the recorded type, and the preview comes with a sandboxing Content-Security-Policy. A file
    whose bytes no longer match is not served: the refusal is logged and audited, and the user is
    told to ask for it to be restored. 404 if the file is gone.

    The check reads the file once more before it is sent (hashing runs at several hundred MB/s,
    so a 20 MiB file costs tens of milliseconds; the second read comes from the page cache, or
    from the local copy that S3 storage keeps of an opened file).
    """
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    actual = sha256_of_handle(handle)
    if actual != stored.sha256:
        handle.close()
        return _refuse_damaged(request, stored, actual)
    inline = request.GET.get("preview") == "1" and stored.previews_inline
    response = FileResponse(
        handle, content_type=stored.content_type, as_attachment=not inline, filename=stored.original_name
    )
    # The type was recognised from the file's bytes at upload; browsers must not guess another.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    response["Repr-Digest"] = stored.repr_digest
    if inline and stored.is_image:
        # An image shown on its own needs nothing else; should a browser ever take it for a page, nothing runs.
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    elif inline:
        response["Content-Security-Policy"] = PDF_PREVIEW_POLICY
    return response


# A PDF preview is sandboxed too, with no allow-* token: an opaque origin, no script, forms, popups or
# top-level navigation, and nothing loaded from anywhere. Chromium's built-in viewer still draws the
# file under it, in the page's <object> and in a tab of its own: checked with the Chromium 150 that
# tests/browser drives (tests/browser/test_evidence_files.py looks for the PDF's drawing on screen).
# This header replaces the site's policy, so it carries the frame-ancestors 'self' that
# @xframe_options_sameorigin would otherwise get from common.csp.
PDF_PREVIEW_POLICY = "default-src 'none'; frame-ancestors 'self'; sandbox"


def _refuse_damaged(request: HttpRequest, stored: StoredFile, actual: str) -> HttpResponseBase:
    """Log (and announce, for the audit trail) a file whose bytes do not match its recorded SHA-256, and tell the user (500)."""
    logger.error(
        "refusing %s #%s (%s): SHA-256 recorded at upload %s, stored file now %s",
        stored._meta.label_lower,
        stored.pk,
        stored.file.name,
        stored.sha256,
        actual,
    )
    file_integrity_failure.send(sender=type(stored), request=request, stored=stored, actual=actual)
    return TemplateResponse(request, "common/file_damaged.html", {"stored": stored}, status=500)
