"""Returning criteria to the department, resubmission, and the inspection team's rights."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from evidence.services import evidence_upload
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.errors import AssessmentLocked
from scoring.models import AssessmentKind, AssessmentStatus, Criterion, CriterionReturn, Standard
from scoring.services import assessment_submit, criterion_return
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES
from tests.factories import AssessmentFactory, UserFactory, rate_all
from workspace.services import assessment_finalize, rating_save

pytestmark = pytest.mark.django_db


def crit(code: str) -> Criterion:
    return Criterion.objects.select_related("item__chapter").get(standard__code="cq2011", code=code)


@pytest.fixture
def submitted(cast: Cast):
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    return assessment_submit(actor=cast.head_a, assessment=assessment)


def test_a_returned_criterion_reopens_alone_and_resubmission_answers_it(
    cast: Cast, submitted, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    ret = criterion_return(
        actor=cast.inspector, assessment=submitted, criterion=crit("1.2-3-2"), reason="RR 床位比例证明缺失"
    )
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.RETURNED
    # The returned criterion may change, with new evidence; nothing else reopens.
    rating_save(
        actor=cast.staff_a, assessment=submitted, criterion=crit("1.2-3-2"), rating="partial", score=Decimal("3")
    )
    evidence_upload(
        actor=cast.head_a,
        assessment=submitted,
        criterion=crit("1.2-3-2"),
        files=[SimpleUploadedFile("床位.pdf", PDF_BYTES, content_type="application/pdf")],
    )
    with pytest.raises(AssessmentLocked):
        rating_save(actor=cast.head_a, assessment=submitted, criterion=crit("1.2-3-1"), rating="unmet")
    # Finalizing waits for the department's answer.
    with pytest.raises(AssessmentLocked):
        assessment_finalize(actor=cast.qc_admin, assessment=submitted)
    assessment_submit(actor=cast.head_a, assessment=submitted)
    ret.refresh_from_db()
    assert ret.status == "answered" and ret.answered_by == cast.head_a
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED
    with pytest.raises(AssessmentLocked):
        rating_save(actor=cast.head_a, assessment=submitted, criterion=crit("1.2-3-2"), rating="met")


def test_only_the_qc_side_returns_and_a_reason_is_required(cast: Cast, submitted) -> None:
    with pytest.raises(PermissionDenied):
        criterion_return(actor=cast.head_a, assessment=submitted, criterion=crit("1.1-1-1"), reason="x")
    with pytest.raises(ValidationError) as exc:
        criterion_return(actor=cast.inspector, assessment=submitted, criterion=crit("1.1-1-1"), reason="  ")
    assert "reason" in exc.value.message_dict
    assert not CriterionReturn.objects.exists()


def test_a_draft_cannot_be_returned(cast: Cast) -> None:
    draft = AssessmentFactory(hospital=cast.hospital_a)
    with pytest.raises(AssessmentLocked):
        criterion_return(actor=cast.inspector, assessment=draft, criterion=crit("1.1-1-1"), reason="x")


def test_unrated_criteria_block_finalization_naming_them(cast: Cast) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)
    rating_save(actor=cast.qc_admin, assessment=inspection, criterion=crit("1.1-1-1"), rating="met")
    assessment_submit(actor=cast.qc_admin, assessment=inspection)
    response = cast.client("qc_admin").post(f"/api/v1/assessments/{inspection.pk}/finalize/")
    assert response.status_code == 400
    assert "还有 91 项细则未评" in response.json()["ratings"][0]
    inspection.refresh_from_db()
    assert inspection.status == AssessmentStatus.SUBMITTED


def test_the_return_page_flow_through_real_urls(cast: Cast, submitted) -> None:
    inspector = Client()
    inspector.force_login(cast.inspector)
    response = inspector.post(
        f"/assessments/{submitted.pk}/criteria/1.2-3-2/return/",
        {"reason": "请补充 RR 床位清单", "next": f"/assessments/{submitted.pk}/"},
    )
    assert response.status_code == 302 and response.url == f"/assessments/{submitted.pk}/"
    head = Client()
    head.force_login(cast.head_a)
    page = head.get(f"/assessments/{submitted.pk}/").content.decode()
    assert "请补充 RR 床位清单" in page and "重新提交" in page
    # Department people cannot return; others' hospitals do not exist for them.
    staff = Client()
    staff.force_login(cast.staff_a)
    assert staff.post(f"/assessments/{submitted.pk}/criteria/1.1-1-1/return/", {"reason": "x"}).status_code == 403
    other = Client()
    other.force_login(cast.head_b)
    assert other.post(f"/assessments/{submitted.pk}/criteria/1.1-1-1/return/", {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_return_without_a_reason_says_so_and_returns_nothing(cast: Cast, submitted, reason: str) -> None:
    inspector = Client()
    inspector.force_login(cast.inspector)
    page = f"/assessments/{submitted.pk}/chapters/1/"
    response = inspector.post(
        f"/assessments/{submitted.pk}/criteria/1.2-3-2/return/", {"reason": reason, "next": page}, follow=True
    )
    assert response.redirect_chain[0][0] == page
    assert "请填写退回原因。" in response.content.decode()
    assert not CriterionReturn.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == AssessmentStatus.SUBMITTED


def test_inspection_page_shows_the_department_rating_beside(cast: Cast, submitted) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    client = Client()
    client.force_login(cast.inspector)
    page = client.get(f"/assessments/{inspection.pk}/chapters/1/").content.decode()
    assert "科室自评" in page and "退回科室修改" in page


def test_team_members_rate_their_chapters_and_only_the_lead_submits_and_finalizes(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="轮次",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 1),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 2),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    lead = UserFactory(role="inspector", hospital=None)
    member = UserFactory(role="inspector", hospital=None)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=member, chapters=[1])
    inspection = entry.inspection
    rating_save(actor=member, assessment=inspection, criterion=crit("1.1-1-1"), rating="met")
    with pytest.raises(PermissionDenied):
        rating_save(actor=member, assessment=inspection, criterion=crit("2.1-1"), rating="met")
    rating_save(actor=lead, assessment=inspection, criterion=crit("2.1-1"), rating="met")
    rate_all(inspection)
    with pytest.raises(PermissionDenied):  # submitting belongs to the lead too (issue 12, M3)
        assessment_submit(actor=member, assessment=inspection)
    assessment_submit(actor=lead, assessment=inspection)
    with pytest.raises(PermissionDenied):
        assessment_finalize(actor=member, assessment=inspection)
    assessment_finalize(actor=lead, assessment=inspection)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("qc_admin", "returned"),
        ("inspector", "returned"),
        ("inspector_unassigned", 404),
        ("head_a", 403),
        ("staff_a", 403),
        ("head_b", 404),
        ("anonymous", "login"),
    ],
)
def test_return_endpoint_for_every_role(cast: Cast, submitted, who: str, expected) -> None:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    response = client.post(f"/assessments/{submitted.pk}/criteria/1.1-1-1/return/", {"reason": "请补充材料"})
    if expected == "returned":
        assert response.status_code == 302 and response.url == f"/assessments/{submitted.pk}/"
        assert CriterionReturn.objects.filter(assessment=submitted, status="open").count() == 1
    elif expected == "login":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
        assert not CriterionReturn.objects.exists()
    else:
        assert response.status_code == expected
        assert not CriterionReturn.objects.exists()
