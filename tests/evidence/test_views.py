"""Evidence endpoints in the browser: every endpoint × every member of the cast × own (A) or foreign (B)."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from evidence.models import Evidence, ReviewStatus
from scoring.models import AssessmentKind, AssessmentStatus
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory

from .conftest import DOCX_BYTES, PDF_BYTES, attach, office_zip, pdf, png, stored_files, upload_file

pytestmark = pytest.mark.django_db

LOGIN = 302  # anonymous visitors are sent to the login page
BACK = 302  # done: without htmx, back to the criterion on its chapter page

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous.
# Targets: a self-assessment of A or of B; "A-insp": an inspection of A.
# upload/delete need a draft; review needs a submitted assessment; download works in any state.
# A department does not see its inspection (nor its files) before it is finalized: 404 (issue 12).
EXPECTED = {
    "upload": {
        "A": (403, 403, 404, BACK, BACK, 404, LOGIN),
        "B": (403, 404, 404, 404, 404, BACK, LOGIN),
        "A-insp": (BACK, BACK, 404, 404, 404, 404, LOGIN),
    },
    "download": {
        "A": (200, 200, 404, 200, 200, 404, LOGIN),
        "B": (200, 404, 404, 404, 404, 200, LOGIN),
        "A-insp": (200, 200, 404, 404, 404, 404, LOGIN),
    },
    "delete": {
        "A": (403, 403, 404, BACK, BACK, 404, LOGIN),
        "B": (403, 404, 404, 404, 404, BACK, LOGIN),
        "A-insp": (BACK, BACK, 404, 404, 404, 404, LOGIN),
    },
    "review": {
        "A": (BACK, BACK, 404, 403, 403, 404, LOGIN),
        "B": (BACK, 404, 404, 404, 404, 403, LOGIN),
        # The inspectors' own files on an inspection are never reviewed (issue 13): refused, 400.
        "A-insp": (400, 400, 404, 404, 404, 404, LOGIN),
    },
}
CASES = [(action, target, who) for action, rows in EXPECTED.items() for target in rows for who in CAST]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def setup(cast: Cast, target: str, *, status: str = AssessmentStatus.DRAFT) -> tuple[Any, Evidence]:
    """An assessment of the target with one PDF on criterion 1.1-1-1, uploaded by someone who may."""
    if target == "A-insp":
        assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
        uploader = cast.inspector
    else:
        hospital = cast.hospital_a if target == "A" else cast.hospital_b
        assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.SELF)
        uploader = cast.head_a if target == "A" else cast.head_b
    [evidence] = attach(uploader, assessment)
    if status != AssessmentStatus.DRAFT:
        type(assessment).objects.filter(pk=assessment.pk).update(status=status)
    return assessment, evidence


@pytest.mark.parametrize(("action", "target", "who"), CASES)
def test_endpoint_permissions(cast: Cast, action: str, target: str, who: str) -> None:
    status = AssessmentStatus.SUBMITTED if action == "review" else AssessmentStatus.DRAFT
    assessment, evidence = setup(cast, target, status=status)
    client = browser(cast, who)
    if action == "upload":
        response = client.post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {"files": [png()]})
    elif action == "download":
        response = client.get(f"/evidence/{evidence.pk}/")
    elif action == "delete":
        response = client.post(f"/evidence/{evidence.pk}/delete/")
    else:
        response = client.post(f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "模糊"})
    expected = EXPECTED[action][target][CAST.index(who)]
    assert response.status_code == expected, (action, target, who)
    done = expected in (BACK, 200) and who != "anonymous"
    if who == "anonymous":
        assert response.url.startswith("/accounts/login/?next=")
    elif expected == BACK:
        assert response.url == f"/assessments/{assessment.pk}/chapters/1/#c-1.1-1-1"
    # What happened matches the answer: nothing at all unless allowed.
    count = Evidence.objects.filter(assessment=assessment).count()
    if action == "upload":
        assert count == (2 if done else 1)
    elif action == "delete":
        assert count == (0 if done else 1)
    elif action == "review":
        evidence.refresh_from_db()
        assert evidence.review_status == (ReviewStatus.REJECTED if done else ReviewStatus.PENDING)


def test_own_download_is_an_attachment_of_its_checked_type(cast: Cast) -> None:
    _, evidence = setup(cast, "A")
    response = browser(cast, "staff_a").get(f"/evidence/{evidence.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E5%88%B6%E5%BA%A6.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_pdf_preview_is_shown_inline_and_may_be_framed_by_the_block(cast: Cast) -> None:
    _, evidence = setup(cast, "A")
    response = browser(cast, "staff_a").get(f"/evidence/{evidence.pk}/", {"preview": "1"})
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # so the block can preview the PDF in place
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_word_and_excel_files_are_downloaded_even_when_a_preview_is_asked_for(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.head_a, assessment, upload_file("记录.docx", DOCX_BYTES))
    for query in ({}, {"preview": "1"}):
        response = browser(cast, "head_a").get(f"/evidence/{evidence.pk}/", query)
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_foreign_file_is_not_found_and_so_is_an_unknown_one(cast: Cast) -> None:
    _, foreign = setup(cast, "B")
    client = browser(cast, "head_a")
    assert client.get(f"/evidence/{foreign.pk}/").status_code == 404
    assert client.get(f"/evidence/{foreign.pk + 1000}/").status_code == 404


def test_a_file_missing_from_storage_is_not_found(cast: Cast, media_root: Path) -> None:
    _, evidence = setup(cast, "A")
    (media_root / evidence.file.name).unlink()
    assert browser(cast, "head_a").get(f"/evidence/{evidence.pk}/").status_code == 404


def test_an_htmx_upload_answers_the_block_with_the_new_files(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/",
        {"files": [pdf("制度.pdf"), png("照片.png")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="evidence-1.1-1-1"' in body
    assert "已上传 2 个文件" in body
    image, document = Evidence.objects.order_by("-id")[:1].get(), Evidence.objects.order_by("id").first()
    assert f'<img src="/evidence/{image.pk}/?preview=1" loading="lazy"' in body
    assert f'<object data="/evidence/{document.pk}/?preview=1" type="application/pdf"' in body
    assert f'href="/evidence/{document.pk}/?preview=1" target="_blank"' in body
    assert f'action="/evidence/{document.pk}/delete/"' in body
    assert 'type="file" name="files" multiple' in body
    assert 'hx-encoding="multipart/form-data"' in body


def test_a_bad_htmx_upload_shows_the_error_in_the_block_and_stores_nothing(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/",
        {"files": [pdf("好.pdf"), upload_file("假.pdf", b"<html></html>")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200  # htmx 2 swaps only 2xx answers
    body = response.content.decode()
    assert 'role="alert"' in body and "“假.pdf”的内容与扩展名不符。" in body
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_without_javascript_a_bad_upload_answers_400_with_the_error(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "staff_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {"files": [upload_file("报告.exe", b"MZ")]}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "“报告.exe”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。" in body
    assert f'href="/assessments/{assessment.pk}/chapters/1/#c-1.1-1-1"' in body  # the way back
    assert "<html" in body


def test_an_upload_without_files_asks_for_them(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {})
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.content.decode()


def test_an_unknown_criterion_is_not_found(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/9.9-9/evidence/", {"files": [pdf()]}
    )
    assert response.status_code == 404


def test_uploading_to_a_submitted_assessment_is_refused(cast: Cast) -> None:
    assessment, _ = setup(cast, "A", status=AssessmentStatus.SUBMITTED)
    client = browser(cast, "head_a")
    url = f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/"
    assert client.post(url, {"files": [pdf()]}).status_code == 409
    response = client.post(url, {"files": [pdf()]}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "不能再上传或删除佐证材料" in response.content.decode()
    assert Evidence.objects.filter(assessment=assessment).count() == 1


def test_a_rejection_without_reason_is_refused_in_the_block(cast: Cast) -> None:
    _, evidence = setup(cast, "A", status=AssessmentStatus.SUBMITTED)
    client = browser(cast, "inspector")
    url = f"/evidence/{evidence.pk}/review/"
    assert client.post(url, {"decision": "rejected", "reason": " "}).status_code == 400
    response = client.post(url, {"decision": "rejected"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "退回“制度.pdf”时必须填写原因。" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.PENDING


def test_reviewers_see_review_controls_and_the_reason_after_rejecting(cast: Cast) -> None:
    _, evidence = setup(cast, "A", status=AssessmentStatus.SUBMITTED)
    response = browser(cast, "inspector").post(
        f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "签字页缺失"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert 'name="decision" value="accepted"' in body and 'name="decision" value="rejected"' in body
    assert "badge-review-rejected" in body and "签字页缺失" in body
    assert "evidence-upload" not in body and "/delete/" not in body  # submitted: no more uploads or deletions


def test_a_delete_through_htmx_answers_the_emptied_block(cast: Cast) -> None:
    _, evidence = setup(cast, "A")
    response = browser(cast, "head_a").post(f"/evidence/{evidence.pk}/delete/", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "已删除“制度.pdf”" in body and "尚未上传佐证材料" in body


def test_deleting_from_a_submitted_assessment_answers_409(cast: Cast) -> None:
    _, evidence = setup(cast, "A", status=AssessmentStatus.SUBMITTED)
    assert browser(cast, "head_a").post(f"/evidence/{evidence.pk}/delete/").status_code == 409
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_download_queries_do_not_grow_with_files(cast: Cast) -> None:
    client = browser(cast, "head_a")
    counts = []
    for n in (1, 10):
        assessment = AssessmentFactory(hospital=cast.hospital_a, year=2000 + n)
        evidence = attach(cast.head_a, assessment, *[pdf(f"{i}.pdf") for i in range(n)])[-1]
        client.get(f"/evidence/{evidence.pk}/")  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/evidence/{evidence.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 3, counts


def test_upload_answer_queries_do_not_grow_with_files(cast: Cast) -> None:
    client = browser(cast, "head_a")
    counts = []
    for n in (1, 10):
        assessment = AssessmentFactory(hospital=cast.hospital_a, year=2000 + n)
        attach(cast.head_a, assessment, *[pdf(f"{i}.pdf") for i in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(
                f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/",
                {"files": [upload_file("x.exe", b"MZ")]},
                HTTP_HX_REQUEST="true",
            )
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_a_file_larger_than_the_memory_limit_is_checked_from_its_temporary_file(cast: Cast, settings: Any) -> None:
    # Above FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the upload to disk; the checks must read it there too.
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    content = office_zip("word/document.xml", "word/media/scan.bin")
    padded = content + b"\x00" * 4096  # trailing bytes after a ZIP are allowed (like a self-extractor stub)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {"files": [upload_file("记录.docx", padded)]}
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(assessment=assessment)
    assert evidence.size == len(padded)
    assert evidence.sha256 == hashlib.sha256(padded).hexdigest()
