"""What the trail keeps of refusals (issue 12, L4 and L5): anonymous floods are capped, and refused writes,
refused uploads, lockouts and report requests are filed where the QC centre looks for them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.middleware import ANONYMOUS_REFUSALS_PER_MINUTE
from audit.models import AuditEvent
from scoring.models import AssessmentKind
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.factories import PASSWORD, AssessmentFactory, rate_all

pytestmark = pytest.mark.django_db


def test_anonymous_refusals_are_written_a_few_times_a_minute_per_address_not_endlessly() -> None:
    client = Client(enforce_csrf_checks=True)
    for i in range(ANONYMOUS_REFUSALS_PER_MINUTE * 4):
        response = client.post(f"/accounts/login/?probe={'x' * 400}{i}", {"username": "a", "password": "b"})
        assert response.status_code == 403  # no CSRF token

    assert AuditEvent.objects.filter(action="access.denied", actor=None).count() == ANONYMOUS_REFUSALS_PER_MINUTE
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.0.0.9")
    assert other.post("/accounts/login/", {"username": "a"}).status_code == 403
    assert (
        AuditEvent.objects.filter(action="access.denied", ip="10.0.0.9").count() == 1
    )  # another address: its own count


def test_a_signed_in_users_refusals_are_all_written(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.staff_a)
    for _ in range(ANONYMOUS_REFUSALS_PER_MINUTE * 2):
        assert client.get("/audit/").status_code == 403
    assert (
        AuditEvent.objects.filter(action="access.denied", actor=cast.staff_a).count()
        == ANONYMOUS_REFUSALS_PER_MINUTE * 2
    )


def test_a_report_request_is_filed_under_its_assessment_and_hospital(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    assert cast.client("head_a").post(f"/api/v1/assessments/{assessment.pk}/reports/").status_code in (200, 201, 202)

    event = AuditEvent.objects.get(action="report.request")
    assert event.assessment_id == assessment.pk and event.hospital_id == cast.hospital_a.pk
    page = Client()
    page.force_login(cast.qc_admin)
    assert "申请报告" in page.get(f"/audit/?hospital={cast.hospital_a.pk}").content.decode()


def test_a_write_the_state_refuses_is_recorded(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)

    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-1/", {"rating": "unmet"}, format="json"
    )

    assert response.status_code == 409
    event = AuditEvent.objects.get(action="access.conflict")
    assert event.actor == cast.head_a and event.after["status"] == 409


def test_a_refused_upload_is_recorded_with_the_file_and_the_reason(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    client = Client()
    client.force_login(cast.head_a)
    hostile = SimpleUploadedFile("制度.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    response = client.post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/", {"files": [hostile]})

    assert response.status_code == 400
    event = AuditEvent.objects.get(action="upload.refused")
    assert event.after["files"] == ["制度.pdf"] and event.after["reasons"]
    assert event.actor == cast.head_a and event.assessment_id == assessment.pk and event.criterion_code == "1.1-1-1"


def test_a_lockout_is_recorded_as_such(cast: Cast, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "head_a", "password": "wrong-" + PASSWORD})

    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.object_repr == "head_a" and event.object_id == str(cast.head_a.pk)
