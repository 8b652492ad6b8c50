"""The home page's next steps, per role (issue 13, point 6): what to do now, how many, and where exactly.

Each step's link opens the exact place: the unrated or returned criteria of the assessment, the
criterion whose file awaits review, the submit or finalize page, the rectification item, the report.
The page's query count is bounded and does not grow with the number of assessments, files or items.
"""

import datetime
import hashlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from evidence.services import evidence_upload
from rectification.models import RectificationItem
from rectification.services import rectification_answer
from reports.models import JobStatus, ReportJob, ReportKind
from rounds.models import RoundHospital
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Standard
from scoring.services import assessment_submit, criterion_return
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES, pdf
from tests.factories import AssessmentFactory, AssignmentFactory, HospitalFactory, UserFactory
from tests.scoring.factories import RatingFactory, rate_all
from workspace.home import next_steps
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
D = datetime.timedelta


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def browser(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def entry_for(
    cast: Cast, hospital: Any = None, *, due_in: int = 5, name: str = "2026 年度麻醉质控检查"
) -> RoundHospital:
    rnd = round_create(
        actor=cast.qc_admin,
        name=name,
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=TODAY + D(days=due_in),
        inspection_start=TODAY + D(days=due_in + 1),
        inspection_end=TODAY + D(days=due_in + 20),
    )
    return round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=hospital or cast.hospital_a)


def steps_of(user: User) -> list[Any]:
    from scoring.selectors import assessments_visible_to, assessments_with_progress

    return next_steps(user, assessments_with_progress(assessments_visible_to(user)))


def kinds(user: User) -> dict[str, Any]:
    return {s.kind: s for s in steps_of(user)}


def home(user: User) -> str:
    response = browser(user).get("/")
    assert response.status_code == 200
    return response.content.decode()


def opens(user: User, url: str) -> str:
    """GET the step's link (without its #anchor) as the user: it must answer 200."""
    response = browser(user).get(url.split("#")[0])
    assert response.status_code == 200, url
    return response.content.decode()


# --- a department ------------------------------------------------------------------------------------


def test_the_head_is_told_the_self_assessment_is_due_with_how_many_are_unrated(cast: Cast) -> None:
    entry = entry_for(cast, due_in=5)
    RatingFactory(assessment=entry.self_assessment, criterion=criterion("1.1-1-1"))

    step = kinds(cast.head_a)["self_due"]

    applicable = 102  # hospital A is a key specialty
    assert step.count == applicable - 1
    assert step.text == f"甲医院 · 2026 年度自评：5 天后截止，尚有 {applicable - 1} 项未评"
    assert step.url == f"/assessments/{entry.self_assessment.pk}/?show=unrated"
    page = opens(cast.head_a, step.url)
    assert 'id="c-1.1-1-2"' in page and 'id="c-1.1-1-1"' not in page  # the unrated ones, exactly
    assert step.text in home(cast.head_a)


def test_staff_rate_too_but_only_the_head_is_told_to_submit(cast: Cast) -> None:
    entry = entry_for(cast, due_in=-2)
    assert kinds(cast.staff_a)["self_due"].overdue
    assert "已逾期 2 天" in kinds(cast.staff_a)["self_due"].text
    rate_all(entry.self_assessment)

    assert "submit" not in kinds(cast.staff_a) and "self_due" not in kinds(cast.staff_a)
    step = kinds(cast.head_a)["submit"]
    assert step.url == f"/assessments/{entry.self_assessment.pk}/submit/"
    assert "确认提交" in opens(cast.head_a, step.url) or "提交" in opens(cast.head_a, step.url)


def test_returned_criteria_lead_the_department_to_them(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(own)
    assessment_submit(actor=cast.head_a, assessment=own)
    criterion_return(actor=cast.inspector, assessment=own, criterion=criterion("2.1-1"), reason="请补充排班表")

    for who in (cast.head_a, cast.staff_a):
        step = kinds(who)["returned"]
        assert step.count == 1 and "1 项细则被退回" in step.text
        assert step.url == f"/assessments/{own.pk}/?show=returned"
        page = opens(who, step.url)
        assert 'id="c-2.1-1"' in page and 'id="c-1.1-1-1"' not in page
    assert "returned" not in kinds(cast.inspector)


def _finalized_inspection_with_items(cast: Cast) -> list[RectificationItem]:
    insp = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2025)
    RatingFactory(assessment=insp, criterion=criterion("1.2-1-1"), rating="unmet")
    RatingFactory(assessment=insp, criterion=criterion("2.1-1"), rating="unmet")
    RatingFactory(assessment=insp, criterion=criterion("3.1-3"), rating="unmet")
    rate_all(insp)
    assessment_finalize(actor=cast.qc_admin, assessment=assessment_submit(actor=cast.qc_admin, assessment=insp))
    return list(RectificationItem.objects.filter(assessment=insp).order_by("id"))


def test_rectification_items_overdue_or_due_soon_and_answers_to_verify(cast: Cast) -> None:
    overdue, soon, answered = _finalized_inspection_with_items(cast)
    RectificationItem.objects.filter(pk=overdue.pk).update(due_date=TODAY - D(days=3))
    RectificationItem.objects.filter(pk=soon.pk).update(due_date=TODAY + D(days=4))
    RectificationItem.objects.filter(pk=answered.pk).update(due_date=TODAY + D(days=60))
    answered.refresh_from_db()
    rectification_answer(actor=cast.head_a, item=answered, answer="已补充排班表")

    steps = kinds(cast.head_a)
    assert steps["rectification_overdue"].overdue and steps["rectification_overdue"].count == 1
    assert steps["rectification_overdue"].url == f"/rectification/{overdue.pk}/"
    assert steps["rectification_due"].url == f"/rectification/{soon.pk}/"
    assert (TODAY + D(days=4)).isoformat() in steps["rectification_due"].text
    assert "rectification_verify" not in steps  # the department does not verify
    for step in (steps["rectification_overdue"], steps["rectification_due"]):
        opens(cast.head_a, step.url)
    verify = kinds(cast.qc_admin)["rectification_verify"]
    assert verify.url == f"/rectification/{answered.pk}/" and "待核验" in verify.text
    assert "已答复" in opens(cast.qc_admin, verify.url) or answered.criterion.code in opens(cast.qc_admin, verify.url)
    # The overdue step comes first.
    assert steps_of(cast.head_a)[0].kind == "rectification_overdue"


def _done_report(cast: Cast, assessment: Assessment, by: User) -> ReportJob:
    job = ReportJob.objects.create(kind=ReportKind.ASSESSMENT, assessment=assessment, requested_by=by)
    job.file.save(f"report-{job.pk}.pdf", ContentFile(PDF_BYTES), save=False)
    job.status = JobStatus.DONE
    job.progress = 100
    job.size = len(PDF_BYTES)
    job.sha256 = job.content_sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    job.finished_at = timezone.now()
    job.save()
    return job


def test_a_finished_report_is_news_to_the_department_and_to_whoever_asked(cast: Cast) -> None:
    [item, *_] = _finalized_inspection_with_items(cast)
    job = _done_report(cast, item.assessment, cast.qc_admin)

    for who in (cast.head_a, cast.staff_a, cast.qc_admin):
        step = kinds(who)["reports_ready"]
        assert step.url == f"/reports/{job.pk}/" and step.count == 1
        opens(who, step.url)
    assert "reports_ready" not in kinds(cast.inspector)  # not theirs to hear of: they did not ask
    assert "reports_ready" not in kinds(cast.head_b)


# --- the QC side ----------------------------------------------------------------------------------------


def _team(cast: Cast, entry: RoundHospital) -> User:
    """A lead (another inspector) and the cast's inspector as a member for chapter 1."""
    lead = UserFactory(username="lead", role=Role.INSPECTOR, hospital=None)
    AssignmentFactory(inspector=lead, hospital=entry.hospital)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, chapters=[1])
    return lead


def _submitted_with_a_file(cast: Cast, entry: RoundHospital, code: str = "1.2-1-1") -> None:
    evidence_upload(actor=cast.head_a, assessment=entry.self_assessment, criterion=criterion(code), files=[pdf()])
    rate_all(entry.self_assessment)
    assessment_submit(actor=cast.head_a, assessment=entry.self_assessment)


def test_the_lead_reviews_files_and_the_member_rates_the_inspection(cast: Cast) -> None:
    entry = entry_for(cast, due_in=-1)
    lead = _team(cast, entry)
    _submitted_with_a_file(cast, entry)

    review = kinds(lead)["review"]
    assert review.count == 1 and "1 份佐证材料待审核" in review.text
    assert review.url == f"/assessments/{entry.self_assessment.pk}/chapters/1/#c-1.2-1-1"
    page = opens(lead, review.url)
    assert 'id="c-1.2-1-1"' in page and "/review/" in page  # the criterion with its review form
    member = kinds(cast.inspector)
    assert "review" not in member and "finalize" not in member  # reviewing is the lead's
    # Both rate the inspection, due by the round's last inspection day.
    for who in (lead, cast.inspector):
        step = kinds(who)["inspection_due"]
        assert step.url == f"/assessments/{entry.inspection.pk}/?show=unrated"
        assert f"{(entry.round.inspection_end - TODAY).days} 天后截止" in step.text
        opens(who, step.url)


def test_an_assigned_inspector_with_no_round_reviews_then_finalizes(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    evidence_upload(actor=cast.head_a, assessment=own, criterion=criterion("1.1-1-1"), files=[pdf()])
    rate_all(own)
    assessment_submit(actor=cast.head_a, assessment=own)
    assert kinds(cast.inspector)["review"].url == f"/assessments/{own.pk}/chapters/1/#c-1.1-1-1"
    assert "finalize" not in kinds(cast.inspector)  # files first

    own.evidence.update(review_status="accepted")

    step = kinds(cast.inspector)["finalize"]
    assert step.url == f"/assessments/{own.pk}/finalize/"
    assert "待审核定稿" in step.text
    opens(cast.inspector, step.url)


def test_the_qc_centre_sees_every_hospitals_steps(cast: Cast) -> None:
    entry = entry_for(cast)
    _submitted_with_a_file(cast, entry)
    b = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)

    steps = steps_of(cast.qc_admin)

    urls = {s.url for s in steps}
    assert (
        f"/assessments/{entry.self_assessment.pk}/chapters/1/#c-1.2-1-1" in urls
    )  # no team lead needed: the QC centre
    assert f"/assessments/{b.pk}/?show=unrated" in urls
    assert f"/assessments/{entry.inspection.pk}/?show=unrated" in urls
    assert not any(str(cast.hospital_b.name) in s.text for s in steps_of(cast.inspector))


def test_nothing_to_do_says_so_helpfully(cast: Cast) -> None:
    page = home(cast.inspector_unassigned)
    assert "暂无待办" in page and "您还没有被分配到任何医院" in page
    page = home(cast.head_b)
    assert "暂无待办" in page and "新建评审" in page


def test_the_home_page_asks_as_many_queries_for_many_items_as_for_few(cast: Cast) -> None:
    """Steps from rounds, returns, files, rectification and reports: the count is the same for N and 2N."""

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            hospital = HospitalFactory(name=f"医院{i}")
            AssignmentFactory(inspector=cast.inspector, hospital=hospital)
            entry = entry_for(cast, hospital, name=f"轮次{i}")
            head = UserFactory(username=f"head{i}", role=Role.DEPARTMENT_HEAD, hospital=hospital)
            evidence_upload(actor=head, assessment=entry.self_assessment, criterion=criterion("1.1-1-1"), files=[pdf()])
            rate_all(entry.self_assessment)
            assessment_submit(actor=head, assessment=entry.self_assessment)

    def count(user: User) -> int:
        client = browser(user)
        client.get("/")  # warm the session and caches
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    # Every kind of step is there from the start: items, a report, a returned self-assessment.
    [item, *_] = _finalized_inspection_with_items(cast)
    _done_report(cast, item.assessment, cast.qc_admin)
    returned = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, year=2024)
    rate_all(returned)
    assessment_submit(actor=cast.head_a, assessment=returned)
    criterion_return(actor=cast.qc_admin, assessment=returned, criterion=criterion("2.1-1"), reason="请补充")
    grow(2, 0)
    few = {who: count(cast.users[who]) for who in ("qc_admin", "inspector", "head_a")}
    grow(2, 2)
    many = {who: count(cast.users[who]) for who in ("qc_admin", "inspector", "head_a")}

    assert many == few
    # Besides the page's own: round dates and teams (2), open returns, files awaiting review, rectification, reports.
    assert max(many.values()) <= 14
    assert Assessment.objects.filter(status=AssessmentStatus.SUBMITTED).count() == 4


def test_the_steps_read_in_english_too(cast: Cast) -> None:
    entry_for(cast, due_in=5)

    page = browser(cast.head_a).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "due in 5 days, 102 criteria still unrated" in page
    assert "天后截止" not in page
    assert "Nothing to do" in browser(cast.head_b).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_long_list_ends_with_one_step_to_every_assessment(cast: Cast) -> None:
    for i in range(12):
        AssessmentFactory(hospital=HospitalFactory(name=f"医院{i:02d}"), kind=AssessmentKind.INSPECTION)

    steps = steps_of(cast.qc_admin)

    assert len(steps) == 10
    assert steps[-1].kind == "more" and steps[-1].count == 3 and steps[-1].url == "/assessments/"
    assert "另有 3 项待办" in home(cast.qc_admin)
