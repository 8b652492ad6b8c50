"""The inspectors' own evidence on an inspection (issue 13, point 5): a photo taken on site, or a file.

Checked and stored as the department's evidence is (the same service), audited, seen by whoever sees
the inspection, attached by those who rate the criterion (a round team member on their chapters only),
and never reviewed: accepting or rejecting it is refused.
"""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from evidence.models import Evidence, ReviewStatus
from evidence.services import evidence_review
from reports.content import assessment_report
from rounds.models import RoundHospital
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Standard
from scoring.permissions import Action, allowed_actions, may_attach_criterion
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory, AssignmentFactory, UserFactory
from tests.scoring.factories import rate_all

from .conftest import attach, criterion, png, stored_files, upload_file

pytestmark = pytest.mark.django_db

LOGIN, BACK = 302, 302
UPLOAD = "/assessments/{pk}/criteria/{code}/inspection-evidence/"


def inspection(hospital: Any, status: str = AssessmentStatus.DRAFT, year: int = 2026) -> Assessment:
    assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.INSPECTION, year=year)
    if status != AssessmentStatus.DRAFT:
        Assessment.objects.filter(pk=assessment.pk).update(status=status)
        assessment.refresh_from_db()
    return assessment


def browser(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- the service -----------------------------------------------------------------------------------


def test_an_inspector_attaches_a_photo_to_an_inspection_criterion_and_it_is_audited(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)

    [evidence] = attach(cast.inspector, insp, png("现场.png"))

    assert evidence.assessment_id == insp.pk and evidence.criterion.code == "1.1-1-1"
    assert evidence.content_type == "image/png" and evidence.uploaded_by == cast.inspector
    event = AuditEvent.objects.get(action="evidence.upload", object_id=str(evidence.pk))
    assert event.actor_username == "inspector"


def test_the_same_checks_refuse_a_file_that_is_not_what_it_claims(cast: Cast, media_root: Path) -> None:
    insp = inspection(cast.hospital_a)

    with pytest.raises(ValidationError):
        attach(cast.inspector, insp, upload_file("伪装.png", b"MZ not a picture", "image/png"))

    assert not Evidence.objects.filter(assessment=insp).exists()
    assert stored_files(media_root) == []


def test_nobody_reviews_an_inspectors_own_file(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    [evidence] = attach(cast.inspector, insp)
    Assessment.objects.filter(pk=insp.pk).update(status=AssessmentStatus.SUBMITTED)
    evidence.refresh_from_db()

    for who in (cast.inspector, cast.qc_admin):
        with pytest.raises(ValidationError) as refused:
            evidence_review(actor=who, evidence=evidence, decision=ReviewStatus.ACCEPTED)
        assert "检查组在现场检查中上传的佐证，不需审核" in " ".join(refused.value.messages)
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.PENDING and evidence.reviewed_by is None
    assert not AuditEvent.objects.filter(action="evidence.review").exists()


def test_attaching_is_its_own_action_in_the_one_table(cast: Cast) -> None:
    insp, own = inspection(cast.hospital_a), AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)

    assert Action.ATTACH in allowed_actions(cast.inspector, insp)
    assert Action.ATTACH in allowed_actions(cast.qc_admin, insp)
    assert Action.ATTACH in allowed_actions(cast.head_a, own) and Action.ATTACH in allowed_actions(cast.staff_a, own)
    assert Action.ATTACH not in allowed_actions(cast.inspector, own)
    assert Action.ATTACH not in allowed_actions(cast.head_a, insp)
    # A submitted inspection takes no more files.
    submitted = inspection(cast.hospital_a, AssessmentStatus.SUBMITTED, year=2025)
    assert Action.ATTACH not in allowed_actions(cast.inspector, submitted)


# --- a round's team --------------------------------------------------------------------------------


def _entry(cast: Cast) -> RoundHospital:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度麻醉质控检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    return round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)


def _inspector(cast: Cast, username: str) -> User:
    user = UserFactory(username=username, role=Role.INSPECTOR, hospital=None)
    AssignmentFactory(inspector=user, hospital=cast.hospital_a)
    return user


def test_a_team_attaches_as_it_rates_the_lead_everywhere_a_member_on_their_chapters(cast: Cast) -> None:
    entry = _entry(cast)
    lead, member = _inspector(cast, "lead"), _inspector(cast, "member")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=member, chapters=[1])
    insp = Assessment.objects.get(pk=entry.inspection.pk)
    chapter_1, chapter_2 = criterion("1.1-1-1"), criterion("2.1-1")

    assert may_attach_criterion(lead, insp, chapter_1) and may_attach_criterion(lead, insp, chapter_2)
    assert may_attach_criterion(member, insp, chapter_1)
    assert not may_attach_criterion(member, insp, chapter_2)
    assert not may_attach_criterion(cast.inspector, insp, chapter_1)  # assigned to A, off the team
    # Through the page: the member's chapter 2 and the outsider answer 403, and nothing is stored.
    assert browser(member).post(UPLOAD.format(pk=insp.pk, code="2.1-1"), {"files": [png()]}).status_code == 403
    assert (
        browser(cast.inspector).post(UPLOAD.format(pk=insp.pk, code="1.1-1-1"), {"files": [png()]}).status_code == 403
    )
    assert browser(member).post(UPLOAD.format(pk=insp.pk, code="1.1-1-1"), {"files": [png()]}).status_code == BACK
    with pytest.raises(PermissionDenied):
        attach(cast.inspector, insp)
    assert Evidence.objects.filter(assessment=insp).count() == 1


def test_a_member_given_no_chapters_attaches_wherever_they_rate(cast: Cast) -> None:
    # Attaching follows rating: with a lead on the team, a member given no chapters still rates them all.
    entry = _entry(cast)
    lead, member = _inspector(cast, "lead"), _inspector(cast, "member")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=member)
    insp = Assessment.objects.get(pk=entry.inspection.pk)

    assert may_attach_criterion(member, insp, criterion("2.1-1"))
    assert Action.SUBMIT not in allowed_actions(member, insp)  # submitting stays the lead's


def test_the_page_offers_a_member_the_camera_on_their_chapters_only(cast: Cast) -> None:
    entry = _entry(cast)
    lead, member = _inspector(cast, "lead"), _inspector(cast, "member")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=member, chapters=[1])

    # Chapter pages show every criterion's details unfolded (the all-criteria page loads them on demand).
    client = browser(member)
    own = client.get(f"/assessments/{entry.inspection.pk}/chapters/1/").content.decode()
    other = client.get(f"/assessments/{entry.inspection.pk}/chapters/2/").content.decode()

    assert 'id="inspection-camera-1.1-1-1"' in own
    assert 'id="inspection-evidence-2.1-1"' in other and 'id="inspection-camera-2.1-1"' not in other


def test_a_team_without_a_lead_lets_any_member_attach(cast: Cast) -> None:
    entry = _entry(cast)
    member = _inspector(cast, "member")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=member)
    insp = Assessment.objects.get(pk=entry.inspection.pk)

    assert may_attach_criterion(member, insp, criterion("2.1-1"))
    assert len(attach(member, insp, code="2.1-1")) == 1


# --- the pages -------------------------------------------------------------------------------------

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous.
# A department does not see an inspection before it is finalized (404), and never uploads to it.
EXPECTED_UPLOAD = {
    "A": (BACK, BACK, 404, 404, 404, 404, LOGIN),
    "B": (BACK, 404, 404, 404, 404, 404, LOGIN),
}


@pytest.mark.parametrize(("target", "who"), [(t, w) for t in EXPECTED_UPLOAD for w in CAST])
def test_upload_answers_each_member_of_the_cast(cast: Cast, target: str, who: str) -> None:
    insp = inspection(cast.hospital_a if target == "A" else cast.hospital_b)

    response = browser(cast.users[who]).post(UPLOAD.format(pk=insp.pk, code="1.1-1-1"), {"files": [png()]})

    expected = EXPECTED_UPLOAD[target][CAST.index(who)]
    assert response.status_code == expected, (target, who)
    if who != "anonymous" and expected == BACK:
        assert response.url == f"/assessments/{insp.pk}/chapters/1/#c-1.1-1-1"
    assert Evidence.objects.filter(assessment=insp).count() == (1 if expected == BACK and who != "anonymous" else 0)


def test_a_self_assessment_has_no_inspection_evidence(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)

    response = browser(cast.head_a).post(UPLOAD.format(pk=own.pk, code="1.1-1-1"), {"files": [png()]})

    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_a_submitted_inspection_takes_no_more_files(cast: Cast) -> None:
    insp = inspection(cast.hospital_a, AssessmentStatus.SUBMITTED)

    response = browser(cast.inspector).post(UPLOAD.format(pk=insp.pk, code="1.1-1-1"), {"files": [png()]})

    assert response.status_code == 409
    assert not Evidence.objects.exists()


def test_htmx_upload_answers_the_inspection_block_and_accepts_a_client_key(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)

    response = browser(cast.inspector).post(
        UPLOAD.format(pk=insp.pk, code="1.1-1-1"),
        {"files": [png("现场照片.png")], "client_key": "6f1c1f3e-8a55-4a38-9f0e-0d6f3a1c2b7e"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="inspection-evidence-1.1-1-1"' in body and "现场照片.png" in body
    assert 'id="evidence-1.1-1-1"' not in body  # the department's block is not what comes back
    assert "审核意见" not in body and 'value="accepted"' not in body  # never reviewed
    assert Evidence.objects.filter(assessment=insp).count() == 1


def test_htmx_delete_answers_the_inspection_block(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    [evidence] = attach(cast.inspector, insp, png("删掉.png"))

    response = browser(cast.inspector).post(f"/evidence/{evidence.pk}/delete/", HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert 'id="inspection-evidence-1.1-1-1"' in body and "检查组尚未上传现场佐证" in body
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.filter(action="evidence.delete").count() == 1


def test_review_through_the_page_is_refused_with_the_reason(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    [evidence] = attach(cast.inspector, insp, png("现场.png"))
    Assessment.objects.filter(pk=insp.pk).update(status=AssessmentStatus.SUBMITTED)

    for who in ("qc_admin", "inspector"):
        response = browser(cast.users[who]).post(
            f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "模糊"}
        )
        assert response.status_code == 400, who
        assert "不需审核" in response.content.decode()
    assert Evidence.objects.get().review_status == ReviewStatus.PENDING


def test_the_workspace_offers_camera_and_file_chooser_to_the_inspector_only(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    attach(cast.inspector, insp, png("已拍.png"))

    page = browser(cast.inspector).get(f"/assessments/{insp.pk}/chapters/1/").content.decode()

    assert 'id="inspection-evidence-1.1-1-1"' in page and "已拍.png" in page
    assert 'id="inspection-camera-1.1-1-1"' in page and 'capture="environment"' in page
    assert 'accept="image/*"' in page and 'id="inspection-files-1.1-1-1"' in page
    assert "data-offline-upload" in page
    assert "拍照" in page and "选择文件" in page
    # Once finalized, the department sees the files but gets no upload control.
    rate_all(insp)
    Assessment.objects.filter(pk=insp.pk).update(status=AssessmentStatus.FINALIZED)
    seen = browser(cast.head_a).get(f"/assessments/{insp.pk}/chapters/1/").content.decode()
    assert "已拍.png" in seen and 'id="inspection-camera-1.1-1-1"' not in seen


def test_the_files_are_seen_by_whoever_sees_the_inspection(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    [evidence] = attach(cast.inspector, insp)
    url = f"/evidence/{evidence.pk}/"

    answers = {who: browser(cast.users[who]).get(url).status_code for who in CAST}

    assert answers == {
        "qc_admin": 200,
        "inspector": 200,
        "inspector_unassigned": 404,
        "head_a": 404,  # not before the inspection is finalized (issue 12)
        "staff_a": 404,
        "head_b": 404,
        "anonymous": LOGIN,
    }
    Assessment.objects.filter(pk=insp.pk).update(status=AssessmentStatus.FINALIZED)
    assert browser(cast.head_a).get(url).status_code == 200
    assert browser(cast.head_b).get(url).status_code == 404


def test_the_report_lists_the_inspectors_files_under_their_criterion(cast: Cast) -> None:
    insp = inspection(cast.hospital_a)
    attach(cast.inspector, insp, png("麻醉机.png"), png("药柜.png"), code="1.1-1-1")

    report = assessment_report(insp, job_id=1, generated_at=timezone.now())

    rows = {k["code"]: k for c in report["chapters"] for i in c["items"] for k in i["criteria"]}
    assert rows["1.1-1-1"]["inspection_files"] == ["麻醉机.png", "药柜.png"]
    assert rows["1.2-1-1"]["inspection_files"] == []


def test_the_pdf_marks_and_names_the_inspectors_files(cast: Cast) -> None:
    from reports import services as report_services
    from reports.models import ReportKind
    from tests.reports.conftest import finalized_inspection, pdftotext

    insp = inspection(cast.hospital_a)
    attach(cast.inspector, insp, png("麻醉机.png"), png("药柜.png"), code="1.1-1-1")
    insp = finalized_inspection(cast, cast.hospital_a, assessment=insp)
    job = report_services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=insp)
    assert report_services.report_run(job_id=job.pk, worker="test").status == "done"
    job.refresh_from_db()

    flat = "".join(pdftotext(Path(job.file.path)).split())
    assert "检2" in flat
    assert "现场佐证：麻醉机.png、药柜.png" in flat
    assert "“检N”为检查组现场上传的佐证份数" in flat
