"""Stored files: server-made names, the SHA-256 recorded at upload and checked again on every download.

The three kinds of stored file (evidence, rectification follow-up files, department-profile
documents) share `common.files`; each is tested through its own download URL.
"""

import base64
import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from audit.models import AuditEvent
from common.files import StoredFile
from departments.services import profile_document_upload
from rectification.services import rectification_answer
from tests.conftest import Cast
from tests.departments.factories import DepartmentProfileFactory
from tests.scoring.factories import AssessmentFactory

from .conftest import DOCX_BYTES, PDF_BYTES, PNG_BYTES, attach, upload_file

pytestmark = pytest.mark.django_db

STORED_NAME = re.compile(r"^(evidence|rectification|profiles)/\d+/[0-9a-f]{32}\.(pdf|png|docx)$")


def evidence_file(cast: Cast, upload: object) -> tuple[StoredFile, str]:
    [evidence] = attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a), upload)
    return evidence, f"/evidence/{evidence.pk}/"


def rectification_file(cast: Cast, upload: object) -> tuple[StoredFile, str]:
    from tests.rectification.conftest import plan

    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改", files=[upload])
    stored = item.evidence.get()
    return stored, f"/rectification/evidence/{stored.pk}/"


def profile_file(cast: Cast, upload: object) -> tuple[StoredFile, str]:
    profile = DepartmentProfileFactory(hospital=cast.hospital_a, year=2026)
    [stored] = profile_document_upload(actor=cast.head_a, profile=profile, fact_name="monitors", files=[upload])
    return stored, f"/profile-documents/{stored.pk}/"


KINDS: dict[str, Callable[[Cast, object], tuple[StoredFile, str]]] = {
    "evidence": evidence_file,
    "rectification": rectification_file,
    "profile": profile_file,
}


def client_of(cast: Cast, who: str = "head_a") -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_stored_names_are_made_by_the_server(kind: str, cast: Cast, media_root: Path) -> None:
    stored, _ = KINDS[kind](cast, upload_file("科室 制度（2026 终稿）.PDF", PDF_BYTES))
    assert STORED_NAME.match(stored.file.name), stored.file.name
    assert stored.original_name == "科室 制度（2026 终稿）.PDF"  # kept for display and the download's name only
    assert (media_root / stored.file.name).read_bytes() == PDF_BYTES
    assert stored.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_downloads_are_attachments_with_nosniff_and_their_digest(kind: str, cast: Cast) -> None:
    _, url = KINDS[kind](cast, upload_file("照片.png", PNG_BYTES))
    response = client_of(cast).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(PNG_BYTES).digest()).decode()}:"
    assert b"".join(response.streaming_content) == PNG_BYTES


def test_an_image_preview_is_inline_but_sandboxed(cast: Cast) -> None:
    _, url = evidence_file(cast, upload_file("照片.png", PNG_BYTES))
    response = client_of(cast).get(url, {"preview": "1"})
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_a_pdf_preview_is_inline_but_sandboxed(cast: Cast) -> None:
    _, url = evidence_file(cast, upload_file("制度.pdf", PDF_BYTES))
    response = client_of(cast).get(url, {"preview": "1"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # The view's own policy, not the site's: sandboxed, loading nothing, framed only by this site's pages.
    policy = [directive.strip() for directive in response["Content-Security-Policy"].split(";")]
    assert policy == ["default-src 'none'", "frame-ancestors 'self'", "sandbox"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    # The download itself is an attachment and keeps the site's policy.
    download = client_of(cast).get(url)
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" not in download["Content-Security-Policy"]


def test_only_pdfs_and_images_are_ever_inline(cast: Cast) -> None:
    _, url = evidence_file(cast, upload_file("记录.docx", DOCX_BYTES))
    for query in ({}, {"preview": "1"}, {"preview": "true"}):
        assert client_of(cast).get(url, query)["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("kind", KINDS)
def test_a_file_changed_on_disk_is_refused_logged_and_audited(
    kind: str, cast: Cast, media_root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stored, url = KINDS[kind](cast, upload_file("制度.pdf", PDF_BYTES))
    tampered = PDF_BYTES.replace(b"endobj", b"endobj\n2 0 obj (changed) endobj")
    (media_root / stored.file.name).write_bytes(tampered)
    with caplog.at_level(logging.ERROR, logger="common.files"):
        response = client_of(cast).get(url)
    assert response.status_code == 500
    page = response.content.decode()
    assert "文件校验失败" in page and "“制度.pdf”的内容与上传时记录的 SHA-256 校验值不一致" in page
    assert tampered not in response.content
    assert stored.sha256 in caplog.text and hashlib.sha256(tampered).hexdigest() in caplog.text
    event = AuditEvent.objects.get(action="file.integrity_failure")
    assert event.actor == cast.head_a
    assert event.object_type == stored._meta.label_lower and event.object_id == str(stored.pk)
    assert event.before == {"sha256": stored.sha256}
    assert event.after == {"sha256": hashlib.sha256(tampered).hexdigest(), "file": stored.file.name}
    # Put back, the same file is served again.
    (media_root / stored.file.name).write_bytes(PDF_BYTES)
    assert client_of(cast).get(url).status_code == 200


def test_a_preview_is_checked_too(cast: Cast, media_root: Path) -> None:
    stored, url = evidence_file(cast, upload_file("照片.png", PNG_BYTES))
    (media_root / stored.file.name).write_bytes(PNG_BYTES[:-1] + b"\x00")
    assert client_of(cast).get(url, {"preview": "1"}).status_code == 500


def test_a_file_gone_from_storage_is_not_found(cast: Cast, media_root: Path) -> None:
    stored, url = evidence_file(cast, upload_file("制度.pdf", PDF_BYTES))
    (media_root / stored.file.name).unlink()
    assert client_of(cast).get(url).status_code == 404
