"""Events become notifications for the right people, decided in notifications/recipients.py, and only
for those who may open the object (the scoping selectors every page uses)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.models import InspectorAssignment, Role
from audit.services import audit_record
from evidence.services import evidence_review, evidence_upload
from notifications.models import Kind, Notification
from rectification.models import RectificationItem
from rectification.services import rectification_assign
from reports.services import report_claim, report_fail
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import AssessmentKind, Standard
from scoring.services import assessment_submit, criterion_return
from tests.accounts.factories import UserFactory
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES
from tests.notifications.conftest import CODE, criterion, inbox, submitted_self
from tests.reports.factories import ReportJobFactory
from tests.scoring.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db


def test_a_returned_criterion_tells_the_department_of_that_hospital_only(cast: Cast) -> None:
    assessment = submitted_self(cast)

    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")

    for who in (cast.head_a, cast.staff_a):
        [n] = inbox(who, Kind.CRITERION_RETURNED)
        assert n.link == f"/assessments/{assessment.pk}/#c-{CODE}"
        assert "1.1-1-1" in n.text and "缺少签字页" in n.text and "甲医院" in n.text
    assert inbox(cast.head_b) == []
    assert inbox(cast.inspector, Kind.CRITERION_RETURNED) == []  # the one who acted
    assert inbox(cast.qc_admin, Kind.CRITERION_RETURNED) == []


def test_the_wording_follows_the_readers_language(cast: Cast) -> None:
    assessment = submitted_self(cast)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="缺少签字页")
    [n] = inbox(cast.head_a, Kind.CRITERION_RETURNED)

    with translation.override("en"):
        english = n.text
    with translation.override("zh-hans"):
        chinese = n.text

    assert "被退回" in chinese
    assert "returned" in english.lower() and "被退回" not in english


def test_a_rejected_file_tells_the_department_with_the_files_name(cast: Cast, media_root: object) -> None:
    draft = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    [ev] = evidence_upload(
        actor=cast.head_a,
        assessment=draft,
        criterion=criterion(),
        files=[SimpleUploadedFile("制度.pdf", PDF_BYTES, content_type="application/pdf")],
    )
    rate_all(draft)
    assessment_submit(actor=cast.head_a, assessment=draft)

    evidence_review(actor=cast.inspector, evidence=ev, decision="rejected", reason="页面不清晰")

    [n] = inbox(cast.head_a, Kind.EVIDENCE_REJECTED)
    assert "制度.pdf" in n.text and "页面不清晰" in n.text
    assert n.link.endswith(f"#c-{CODE}")


def test_a_submitted_self_assessment_tells_the_inspectors_who_see_the_hospital(cast: Cast) -> None:
    submitted_self(cast)

    [n] = inbox(cast.inspector, Kind.SELF_SUBMITTED)
    assert "甲医院" in n.text
    assert inbox(cast.inspector_unassigned) == []
    assert inbox(cast.head_a, Kind.SELF_SUBMITTED) == []  # the one who acted


def test_a_resubmission_says_so(cast: Cast) -> None:
    assessment = submitted_self(cast)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion(), reason="请补充")
    assessment_submit(actor=cast.head_a, assessment=assessment)

    texts = [n.text for n in inbox(cast.inspector, Kind.SELF_SUBMITTED)]
    assert len(texts) == 2 and any("重新提交" in t for t in texts)


def test_an_inspection_submitted_tells_the_lead_but_never_the_department(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 8, 31),
        inspection_start=datetime.date(2026, 9, 1),
        inspection_end=datetime.date(2026, 9, 30),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    lead = UserFactory(username="lead", role=Role.INSPECTOR, hospital=None)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, chapters=[1])
    rate_all(entry.inspection)

    assessment_submit(actor=cast.qc_admin, assessment=entry.inspection)

    assert len(inbox(lead, Kind.INSPECTION_SUBMITTED)) == 1
    assert inbox(cast.inspector, Kind.INSPECTION_SUBMITTED) == []
    # A department does not see its inspection before it is finalized: not told of it either.
    assert Notification.objects.filter(recipient__hospital=cast.hospital_a, kind=Kind.INSPECTION_SUBMITTED).count() == 0


def test_a_round_tells_each_hospitals_department_its_self_assessment_deadline(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 8, 31),
        inspection_start=datetime.date(2026, 9, 1),
        inspection_end=datetime.date(2026, 9, 30),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)

    for who in (cast.head_a, cast.staff_a):
        [n] = inbox(who, Kind.ROUND_OPENED)
        assert "2026-08-31" in n.text
        assert n.link == f"/assessments/{entry.self_assessment_id}/"
    assert inbox(cast.head_b) == []


def test_a_finalized_inspection_tells_head_team_and_qc_with_the_outcome_and_one_plan_notice(cast: Cast) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(inspection)
    inspection.ratings.filter(criterion__code__in=["1.2-1-1", "1.2-2-1"]).update(rating="unmet", score=0)
    assessment_submit(actor=cast.inspector, assessment=inspection)

    assessment_finalize(actor=cast.inspector, assessment=inspection)

    [head] = inbox(cast.head_a, Kind.FINALIZED)
    assert "总分" in head.text and head.link == f"/assessments/{inspection.pk}/result/"
    assert len(inbox(cast.qc_admin, Kind.FINALIZED)) == 1
    assert inbox(cast.staff_a, Kind.FINALIZED) == []  # the head hears of the outcome
    assert inbox(cast.inspector, Kind.FINALIZED) == []  # the one who acted
    # Every shortfall became an item; the head (their owner) gets one notice for the plan, counting them.
    items = RectificationItem.objects.filter(assessment=inspection).count()
    [plan] = inbox(cast.head_a, Kind.RECTIFICATION_PLAN)
    assert items >= 2 and plan.params["count"] == items and f"共 {items} 项" in plan.text


def test_an_assigned_item_tells_its_new_owner_and_the_head(cast: Cast) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(inspection)
    inspection.ratings.filter(criterion__code="1.2-1-1").update(rating="unmet", score=0)
    assessment_submit(actor=cast.inspector, assessment=inspection)
    assessment_finalize(actor=cast.inspector, assessment=inspection)
    item = RectificationItem.objects.get(assessment=inspection)

    rectification_assign(actor=cast.inspector, item=item, owner=cast.staff_a, due_date=item.due_date)

    [n] = inbox(cast.staff_a, Kind.RECTIFICATION_ASSIGNED)
    assert n.link == f"/rectification/{item.pk}/"
    assert len(inbox(cast.head_a, Kind.RECTIFICATION_ASSIGNED)) == 1
    assert inbox(cast.head_b) == []


def test_a_team_member_who_lost_sight_of_the_hospital_is_not_told(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 8, 31),
        inspection_start=datetime.date(2026, 9, 1),
        inspection_end=datetime.date(2026, 9, 30),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    lead = UserFactory(username="lead", role=Role.INSPECTOR, hospital=None)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, chapters=[1])
    # The lead's assignment is withdrawn: still on the team's list, but the scope no longer lets them open it.
    InspectorAssignment.objects.filter(inspector=lead).delete()
    assert entry.self_assessment is not None
    rate_all(entry.self_assessment)

    assessment_submit(actor=cast.head_a, assessment=entry.self_assessment)

    assert inbox(lead) == []
    assert len(inbox(cast.inspector, Kind.SELF_SUBMITTED)) == 1


def test_a_failed_report_tells_who_asked_for_it(cast: Cast) -> None:
    assessment = submitted_self(cast)
    job = ReportJobFactory(assessment=assessment, requested_by=cast.head_a)
    claimed = report_claim(job_id=job.pk, worker="test")
    assert claimed is not None

    report_fail(job=claimed, error="字体缺失")

    [n] = inbox(cast.head_a, Kind.REPORT_FAILED)
    assert n.link == f"/reports/{job.pk}/" and "字体缺失" in n.text
    assert inbox(cast.staff_a, Kind.REPORT_FAILED) == [] and inbox(cast.qc_admin, Kind.REPORT_FAILED) == []


def test_a_locked_account_tells_the_qc_centre(cast: Cast) -> None:
    audit_record(actor=None, action="auth.locked_out", object_type="accounts.user", object_repr="head_a")

    [n] = inbox(cast.qc_admin, Kind.ACCOUNT_LOCKED)
    assert "head_a" in n.text and n.link.startswith("/audit/")
    assert Notification.objects.filter(kind=Kind.ACCOUNT_LOCKED).count() == 1
