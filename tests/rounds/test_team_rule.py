"""A round's team decides who acts for the QC side on its hospital (issue 12, M3).

On the hospital's inspection and its self-assessment alike, submitting, reviewing (evidence,
returns) and finalizing belong to the team's lead, or to any member when the team has no lead.
An inspector who can see the hospital (assigned to it) but is off the team, or a member limited
to some chapters while there is a lead, does none of them. A qc_admin can reopen a submitted
inspection, with a reason, so one submitted by mistake is never stuck.
"""

import datetime

import pytest
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from evidence.services import evidence_upload
from rounds.models import RoundHospital
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import AssessmentStatus, Criterion, Standard
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.evidence.conftest import pdf
from tests.factories import AssignmentFactory, UserFactory, rate_all

pytestmark = pytest.mark.django_db
D = datetime.date


def _entry(cast: Cast) -> RoundHospital:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度麻醉质控检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=D(2026, 5, 31),
        inspection_start=D(2026, 6, 1),
        inspection_end=D(2026, 6, 30),
    )
    return round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)


def _inspector(cast: Cast, username: str) -> User:
    user = UserFactory(username=username, role=Role.INSPECTOR, hospital=None)
    AssignmentFactory(inspector=user, hospital=cast.hospital_a)
    return user


def _api(cast: Cast, user: User) -> Client:
    cast.users[user.username] = user
    return cast.client(user.username)


def _submitted_self_assessment(cast: Cast, entry: RoundHospital) -> None:
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    evidence_upload(
        actor=cast.head_a,
        assessment=entry.self_assessment,
        criterion=criterion,
        files=[pdf()],
    )
    rate_all(entry.self_assessment)
    assessment_submit(actor=cast.head_a, assessment=entry.self_assessment)


def test_an_inspector_off_the_team_neither_submits_reviews_nor_finalizes(cast: Cast) -> None:
    entry = _entry(cast)
    lead = _inspector(cast, "lead")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    _submitted_self_assessment(cast, entry)
    rate_all(entry.inspection)
    outsider = cast.client("inspector")  # assigned to hospital A, not on its round team
    self_pk, inspection_pk = entry.self_assessment.pk, entry.inspection.pk
    evidence = entry.self_assessment.evidence.get()

    assert outsider.get(f"/api/v1/assessments/{inspection_pk}/").status_code == 200  # still sees it
    assert outsider.post(f"/api/v1/assessments/{inspection_pk}/submit/").status_code == 403
    assert outsider.post(f"/api/v1/assessments/{self_pk}/finalize/").status_code == 403
    page = Client()
    page.force_login(cast.inspector)
    assert page.post(f"/assessments/{self_pk}/criteria/1.1-1-1/return/", {"reason": "缺签字"}).status_code == 403
    assert page.post(f"/evidence/{evidence.pk}/review/", {"decision": "accepted"}).status_code == 403
    detail = page.get(f"/assessments/{self_pk}/").content.decode()
    assert "定稿…" not in detail and "退回科室修改" not in detail

    leader = _api(cast, lead)
    assert leader.post(f"/api/v1/assessments/{inspection_pk}/submit/").status_code == 200
    assert leader.post(f"/api/v1/assessments/{self_pk}/finalize/").status_code == 200


def test_a_chapter_member_does_not_submit_while_the_team_has_a_lead(cast: Cast) -> None:
    entry = _entry(cast)
    lead = _inspector(cast, "lead")
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=False, chapters=[1])
    rate_all(entry.inspection)

    member = cast.client("inspector")
    assert member.post(f"/api/v1/assessments/{entry.inspection.pk}/submit/").status_code == 403
    rated = member.put(f"/api/v1/assessments/{entry.inspection.pk}/ratings/1.1-1-1/", {"rating": "met"}, format="json")
    assert rated.status_code == 200  # still rates their chapter
    assert _api(cast, lead).post(f"/api/v1/assessments/{entry.inspection.pk}/submit/").status_code == 200


def test_in_a_team_without_a_lead_any_member_submits_and_finalizes(cast: Cast) -> None:
    entry = _entry(cast)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=False, chapters=[1])
    rate_all(entry.inspection)

    member = cast.client("inspector")
    assert member.post(f"/api/v1/assessments/{entry.inspection.pk}/submit/").status_code == 200
    assert member.post(f"/api/v1/assessments/{entry.inspection.pk}/finalize/").status_code == 200


def test_the_qc_admin_reopens_a_submitted_inspection_with_a_reason(cast: Cast) -> None:
    entry = _entry(cast)
    rate_all(entry.inspection)
    assessment_submit(actor=cast.qc_admin, assessment=entry.inspection)
    url = f"/api/v1/assessments/{entry.inspection.pk}/reopen/"

    assert cast.client("inspector").post(url, {"reason": "提交过早"}, format="json").status_code == 403
    missing = cast.client("qc_admin").post(url, {"reason": " "}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    reopened = cast.client("qc_admin").post(url, {"reason": "提交过早"}, format="json")

    assert reopened.status_code == 200 and reopened.json()["status"] == AssessmentStatus.DRAFT
    event = AuditEvent.objects.get(action="assessment.reopen")
    assert event.reason == "提交过早" and event.assessment_id == entry.inspection.pk
    again = cast.client("qc_admin").post(url, {"reason": "再次"}, format="json")
    assert again.status_code == 409  # a draft is not reopened
    self_reopen = cast.client("qc_admin").post(
        f"/api/v1/assessments/{entry.self_assessment.pk}/reopen/", {"reason": "x"}, format="json"
    )
    assert self_reopen.status_code == 403  # self-assessments are returned criterion by criterion instead


def test_the_reopen_page_asks_for_the_reason_and_shows_only_to_the_qc_admin(cast: Cast) -> None:
    entry = _entry(cast)
    rate_all(entry.inspection)
    assessment_submit(actor=cast.qc_admin, assessment=entry.inspection)
    admin = Client()
    admin.force_login(cast.qc_admin)
    detail = f"/assessments/{entry.inspection.pk}/"

    assert "重新打开…" in admin.get(detail).content.decode()
    empty = admin.post(f"{detail}reopen/", {"reason": ""})
    assert empty.status_code == 400 and "请填写重新打开的原因" in empty.content.decode()
    done = admin.post(f"{detail}reopen/", {"reason": "提交过早"})
    assert done.status_code == 302
    entry.inspection.refresh_from_db()
    assert entry.inspection.status == AssessmentStatus.DRAFT
