"""Evidence services: who may upload, delete and review, all-or-nothing uploads, files on disk, audit."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from evidence import services
from evidence.models import Evidence, ReviewStatus
from evidence.services import evidence_delete, evidence_review, evidence_upload
from scoring.errors import AssessmentLocked
from scoring.models import AssessmentKind, AssessmentStatus
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.factories import AssessmentFactory

from .conftest import PDF_BYTES, PNG_BYTES, attach, criterion, pdf, png, stored_files, upload_file

pytestmark = pytest.mark.django_db


def submitted(cast: Cast, hospital: str = "a") -> Any:
    assessment = AssessmentFactory(hospital=getattr(cast, f"hospital_{hospital}"))
    evidence = attach(getattr(cast, f"head_{hospital}"), assessment)[0]
    assessment_submit(actor=getattr(cast, f"head_{hospital}"), assessment=assessment)
    evidence.refresh_from_db()
    return evidence


# --- upload ---------------------------------------------------------------------------------------


def test_an_upload_stores_the_file_under_the_assessment_with_its_checksum(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.staff_a, assessment, upload_file("制度.pdf", PDF_BYTES, "text/plain"))
    assert evidence.original_name == "制度.pdf"
    assert evidence.content_type == "application/pdf"  # from the checked bytes, not the browser's claim
    assert evidence.size == len(PDF_BYTES)
    assert evidence.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert evidence.uploaded_by == cast.staff_a
    assert evidence.review_status == ReviewStatus.PENDING
    folder, _, stored = evidence.file.name.rpartition("/")
    assert folder == f"evidence/{assessment.pk}"
    assert len(stored) == len("0" * 32 + ".pdf") and stored.endswith(".pdf") and "制度" not in stored
    assert (media_root / evidence.file.name).read_bytes() == PDF_BYTES


def test_several_files_are_stored_together_and_each_is_audited(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    created = attach(cast.head_a, assessment, pdf("一.pdf"), png("二.png"))
    assert [e.original_name for e in created] == ["一.pdf", "二.png"]
    assert len(stored_files(media_root)) == 2
    events = AuditEvent.objects.filter(action="evidence.upload").order_by("id")
    assert [e.object_id for e in events] == [str(e.pk) for e in created]
    assert events[1].actor == cast.head_a
    assert events[1].after["sha256"] == hashlib.sha256(PNG_BYTES).hexdigest()
    assert events[1].after["criterion"] == "1.1-1-1"


def test_one_bad_file_refuses_the_whole_upload_and_leaves_nothing_on_disk(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    with pytest.raises(ValidationError) as exc:
        attach(cast.head_a, assessment, pdf("好.pdf"), upload_file("报告.exe", b"MZ\x90\x00"), png("好.png"))
    assert exc.value.message_dict == {"files": ["“报告.exe”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。"]}
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []
    assert not AuditEvent.objects.filter(action="evidence.upload").exists()


def test_a_failure_after_files_were_written_removes_them_again(
    cast: Cast, media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    real = services.audit_record
    calls = []

    def audit_then_fail(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 2:
            raise IntegrityError("simulated failure while the second file is recorded")
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_record", audit_then_fail)
    with pytest.raises(IntegrityError):
        attach(cast.head_a, assessment, pdf("一.pdf"), png("二.png"))
    assert len(calls) == 2  # both files had been written when it failed
    assert not Evidence.objects.exists()
    assert stored_files(media_root) == []


def test_a_submitted_assessment_takes_no_more_evidence(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, status=AssessmentStatus.SUBMITTED)
    with pytest.raises(AssessmentLocked):
        attach(cast.head_a, assessment)
    assert stored_files(media_root) == []


@pytest.mark.parametrize("who", ["qc_admin", "inspector", "head_b", "inspector_unassigned"])
def test_only_those_who_rate_a_self_assessment_upload_to_it(cast: Cast, who: str) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    with pytest.raises(PermissionDenied):
        attach(cast.users[who], assessment)


@pytest.mark.parametrize(("who", "allowed"), [("qc_admin", True), ("inspector", True), ("head_a", False)])
def test_inspectors_and_the_qc_centre_upload_to_inspections(cast: Cast, who: str, allowed: bool) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    if allowed:
        assert len(attach(cast.users[who], assessment)) == 1
    else:
        with pytest.raises(PermissionDenied):
            attach(cast.users[who], assessment)


def test_an_unassigned_inspector_cannot_upload_to_an_inspection_it_cannot_see(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    with pytest.raises(PermissionDenied):
        attach(cast.inspector_unassigned, assessment)


def test_key_specialty_criteria_take_evidence_only_in_key_specialty_departments(cast: Cast) -> None:
    key = AssessmentFactory(hospital=cast.hospital_a)
    assert len(attach(cast.head_a, key, code="3.2-1-1")) == 1
    general = AssessmentFactory(hospital=cast.hospital_b)
    with pytest.raises(ValidationError) as exc:
        attach(cast.head_b, general, code="3.2-1-1")
    assert "criterion" in exc.value.message_dict


def test_a_criterion_of_another_standard_is_refused(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    other = criterion()
    other.standard_id = -1  # not the assessment's standard
    with pytest.raises(ValidationError) as exc:
        evidence_upload(actor=cast.head_a, assessment=assessment, criterion=other, files=[pdf()])
    assert "criterion" in exc.value.message_dict


# --- delete ---------------------------------------------------------------------------------------


def test_the_department_deletes_evidence_and_the_file_goes_once_committed(
    cast: Cast, media_root: Path, django_capture_on_commit_callbacks: Any
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.head_a, assessment)
    path = media_root / evidence.file.name
    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(actor=cast.staff_a, evidence=evidence)  # a colleague of the uploader
    assert not Evidence.objects.exists()
    assert not path.exists()
    event = AuditEvent.objects.get(action="evidence.delete")
    assert event.actor == cast.staff_a and event.before["name"] == "制度.pdf" and event.after is None


def test_a_delete_that_rolls_back_keeps_the_file(cast: Cast, media_root: Path) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.head_a, assessment)
    path = media_root / evidence.file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        evidence_delete(actor=cast.head_a, evidence=evidence)
        raise RuntimeError("rolled back")
    assert path.exists() and Evidence.objects.filter(pk=evidence.pk).exists()


@pytest.mark.parametrize("who", ["qc_admin", "inspector", "head_b"])
def test_others_may_not_delete_a_departments_evidence(cast: Cast, who: str) -> None:
    [evidence] = attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a))
    with pytest.raises(PermissionDenied):
        evidence_delete(actor=cast.users[who], evidence=evidence)
    assert Evidence.objects.filter(pk=evidence.pk).exists()


def test_evidence_of_a_submitted_assessment_cannot_be_deleted(cast: Cast, media_root: Path) -> None:
    evidence = submitted(cast)
    with pytest.raises(AssessmentLocked):
        evidence_delete(actor=cast.head_a, evidence=evidence)
    assert (media_root / evidence.file.name).exists()


# --- review ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["inspector", "qc_admin"])
def test_the_qc_side_accepts_or_rejects_submitted_evidence_audited(cast: Cast, who: str) -> None:
    evidence = submitted(cast)
    actor = cast.users[who]
    accepted = evidence_review(actor=actor, evidence=evidence, decision="accepted")
    assert accepted.review_status == ReviewStatus.ACCEPTED and accepted.reviewed_by == actor
    rejected = evidence_review(actor=actor, evidence=evidence, decision="rejected", reason="  签字页缺失  ")
    assert rejected.review_status == ReviewStatus.REJECTED
    assert rejected.review_reason == "签字页缺失"
    assert rejected.reviewed_at is not None
    events = list(AuditEvent.objects.filter(action="evidence.review").order_by("id"))
    assert [(e.before, e.after) for e in events] == [
        ({"review_status": "pending", "review_reason": ""}, {"review_status": "accepted", "review_reason": ""}),
        (
            {"review_status": "accepted", "review_reason": ""},
            {"review_status": "rejected", "review_reason": "签字页缺失"},
        ),
    ]
    assert events[1].reason == "签字页缺失" and events[1].actor == actor


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_needs_a_reason(cast: Cast, reason: str) -> None:
    evidence = submitted(cast)
    with pytest.raises(ValidationError) as exc:
        evidence_review(actor=cast.inspector, evidence=evidence, decision="rejected", reason=reason)
    assert exc.value.message_dict == {"reason": ["退回“制度.pdf”时必须填写原因。"]}
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.PENDING
    assert not AuditEvent.objects.filter(action="evidence.review").exists()


def test_an_unknown_decision_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError) as exc:
        evidence_review(actor=cast.inspector, evidence=submitted(cast), decision="maybe")
    assert "decision" in exc.value.message_dict


def test_the_database_refuses_a_rejection_without_reason(cast: Cast) -> None:
    [evidence] = attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a))
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(review_status=ReviewStatus.REJECTED, review_reason="")


@pytest.mark.parametrize("who", ["head_a", "staff_a", "inspector_unassigned", "head_b"])
def test_departments_and_unassigned_inspectors_may_not_review(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        evidence_review(actor=cast.users[who], evidence=submitted(cast), decision="accepted")


def test_review_waits_for_submission_and_stops_at_finalization(cast: Cast) -> None:
    [draft] = attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a, year=2025))
    with pytest.raises(AssessmentLocked):
        evidence_review(actor=cast.inspector, evidence=draft, decision="accepted")
    evidence = submitted(cast)
    # Finalized directly: finalizing through the service needs every criterion rated, beside the point here.
    type(evidence.assessment).objects.filter(pk=evidence.assessment_id).update(status=AssessmentStatus.FINALIZED)
    evidence.refresh_from_db()
    with pytest.raises(AssessmentLocked):
        evidence_review(actor=cast.inspector, evidence=evidence, decision="accepted")
