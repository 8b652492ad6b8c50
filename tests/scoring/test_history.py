"""The history of an assessment: every change (who, when, old → new), per criterion, as a page and as CSV."""

import csv
import datetime
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.selectors import action_label, format_changes
from audit.services import audit_record
from evidence.models import Evidence
from evidence.services import evidence_review
from rounds.services import round_add_hospital, round_create
from scoring.models import Assessment, AssessmentKind, Criterion, Standard
from scoring.services import assessment_create, assessment_submit, criterion_return
from tests.accounts.factories import UserFactory
from tests.conftest import CAST, Cast
from tests.evidence.conftest import attach
from tests.scoring.factories import AssessmentFactory, RatingFactory, rate_all
from workspace.services import assessment_finalize, rating_save

pytestmark = pytest.mark.django_db

LOGIN = 302  # anonymous visitors are sent to the login page

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous.
# Whoever may see an assessment may see its history; everyone else gets 404 (or the login page).
EXPECTED = {
    "history": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "history-csv": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]
CSV_HEADER = ["时间", "操作人", "操作", "细则", "字段变化", "原因"]


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def text(html: str) -> str:
    """The page as a reader sees it: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def history_page(cast: Cast, assessment: Assessment, who: str = "head_a", query: str = "") -> str:
    response = browser(cast, who).get(f"/assessments/{assessment.pk}/history/{query}")
    assert response.status_code == 200
    return text(response.content.decode())


def csv_rows(cast: Cast, assessment: Assessment, who: str = "head_a", query: str = "") -> list[list[str]]:
    response = browser(cast, who).get(f"/assessments/{assessment.pk}/history.csv{query}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- every kind of change, old → new ---------------------------------------------------------------


def test_a_rating_change_shows_the_old_and_new_rating_and_score(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-1"), rating="met")
    rating_save(
        actor=cast.staff_a,
        assessment=assessment,
        criterion=criterion("1.1-1-1"),
        rating="partial",
        score=Decimal("7.5"),
    )
    page = history_page(cast, assessment)
    assert "评定：达标 → 基本达标" in page
    assert "得分：15 → 7.5" in page
    assert "评定：— → 达标" in page  # the first rating had nothing before it
    assert page.count("评分") >= 2 and "staff_a" in page and "head_a" in page
    assert page.index("评定：达标 → 基本达标") < page.index("评定：— → 达标")  # newest first


def test_a_remark_change_is_shown_alone_when_the_rating_stays(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    c = criterion("2.1-1")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=c, rating="met", remark="")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=c, rating="met", remark="PETCO2 监测记录不全")
    page = history_page(cast, assessment)
    assert "备注：— → PETCO2 监测记录不全" in page
    newest = AuditEvent.objects.filter(assessment_id=assessment.pk).first()
    assert [str(ch) for ch in format_changes(newest.before, newest.after)] == ["备注：— → PETCO2 监测记录不全"]


def test_evidence_upload_and_review_are_shown_with_the_decision_and_reason(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.staff_a, assessment, code="1.1-1-1")
    assessment_submit(actor=cast.head_a, assessment=assessment)
    evidence_review(
        actor=cast.inspector, evidence=Evidence.objects.get(pk=evidence.pk), decision="rejected", reason="扫描件模糊"
    )
    page = history_page(cast, assessment)
    assert "上传佐证材料" in page and "文件：— → 制度.pdf" in page
    assert "审核佐证材料" in page and "审核结论：待审核 → 已退回" in page and "审核意见：— → 扫描件模糊" in page
    assert set(
        AuditEvent.objects.filter(action__startswith="evidence.").values_list("assessment_id", "criterion_code")
    ) == {(assessment.pk, "1.1-1-1")}


def test_deleting_evidence_is_recorded_under_its_criterion(cast: Cast) -> None:
    from evidence.services import evidence_delete

    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [evidence] = attach(cast.staff_a, assessment, code="2.1-1")
    evidence_delete(actor=cast.head_a, evidence=evidence)
    page = history_page(cast, assessment, query="?criterion=2.1-1")
    assert "删除佐证材料" in page and "文件：制度.pdf → —" in page


def test_submit_return_answer_and_finalize_show_each_status_change(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("3.1-3"), reason="请补充记录")
    assessment_submit(actor=cast.head_a, assessment=assessment)
    assessment_finalize(actor=cast.qc_admin, assessment=assessment)
    page = history_page(cast, assessment)
    assert "提交" in page and "状态：草稿 → 已提交" in page
    assert "退回细则" in page and "状态：已提交 → 部分退回" in page and "请补充记录" in page
    assert "答复退回" in page and "状态：待修改 → 已答复" in page
    assert "状态：部分退回 → 已提交" in page
    assert "定稿" in page and "状态：已提交 → 已定稿" in page
    events = AuditEvent.objects.filter(assessment_id=assessment.pk)
    assert [e.action for e in events] == [
        "assessment.finalize",
        "assessment.submit",
        "return.answer",
        "return.create",
        "assessment.submit",
    ]
    assert {e.action: e.criterion_code for e in events if e.action.startswith("return.")} == {
        "return.answer": "3.1-3",
        "return.create": "3.1-3",
    }


def test_creating_an_assessment_opens_its_history(cast: Cast) -> None:
    standard = Standard.objects.get(code="cq2011")
    assessment = assessment_create(
        actor=cast.head_a, hospital=cast.hospital_a, standard=standard, kind=AssessmentKind.SELF, year=2027
    )
    page = history_page(cast, assessment)
    assert "创建评审" in page and "类型：— → 自评" in page and "年度：— → 2027" in page
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度检查",
        year=2026,
        standard=standard,
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    created = AuditEvent.objects.filter(action="assessment.create", actor=cast.qc_admin)
    assert sorted(created.values_list("assessment_id", flat=True)) == sorted(
        [entry.self_assessment_id, entry.inspection_id]
    )


def test_the_history_holds_only_this_assessments_events(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rating_save(actor=cast.head_a, assessment=own, criterion=criterion("2.1-1"), rating="unmet")
    rating_save(actor=cast.inspector, assessment=inspection, criterion=criterion("2.1-1"), rating="met")
    page = history_page(cast, inspection, who="inspector")
    assert "评定：— → 达标" in page and "未达标" not in page


def test_an_action_without_a_label_shows_its_raw_name(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    audit_record(
        actor=cast.qc_admin, action="something.new", obj=assessment, after={"colour": "red"}, assessment=assessment
    )
    assert action_label("something.new") == "something.new"
    assert action_label("rating.set") == "评分"
    page = history_page(cast, assessment)
    assert "something.new" in page and "colour：— → red" in page


# --- filter, empty state, links, paging ------------------------------------------------------------


def test_the_criterion_filter_shows_only_that_criterions_changes(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("2.1-1"), rating="unmet")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-2"), rating="met")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-2"), rating="unmet")
    assessment_submit(actor=cast.head_a, assessment=assessment)
    response = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/history/?criterion=2.1-1")
    html = response.content.decode()
    page = text(html)
    assert "评定：— → 未达标" in page
    assert "评定：— → 达标" not in page and "状态：草稿 → 已提交" not in page
    assert f'href="/assessments/{assessment.pk}/chapters/2/#c-2.1-1"' in html  # to the criterion on its chapter
    assert f'href="/assessments/{assessment.pk}/history.csv?criterion=2.1-1"' in html
    assert html.count('<option value="1.1-1-2"') == 1  # the filter offers each criterion with history once
    whole = history_page(cast, assessment)
    assert "评定：— → 达标" in whole and "状态：草稿 → 已提交" in whole


def test_an_assessment_without_changes_says_so(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    assert "此评审还没有修改记录" in history_page(cast, assessment)
    assert "该细则还没有修改记录" in history_page(cast, assessment, query="?criterion=9.9-9")


def test_the_form_links_to_the_history_of_the_assessment_and_of_each_criterion(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = browser(cast, "head_a")
    html = client.get(f"/assessments/{assessment.pk}/chapters/2/").content.decode()
    assert f'<a href="/assessments/{assessment.pk}/history/">修改记录</a>' in html
    assert f'href="/assessments/{assessment.pk}/history/?criterion=2.1-1"' in html
    saved = client.post(
        f"/assessments/{assessment.pk}/criteria/2.1-1/", {"rating": "met", "version": "0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert f'href="/assessments/{assessment.pk}/history/?criterion=2.1-1"' in saved


def test_the_page_shows_a_hundred_events_at_a_time(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="rating.set",
            object_type="scoring.rating",
            object_id=str(n),
            assessment_id=assessment.pk,
            criterion_code="2.1-1",
            after={"remark": f"第{n}次"},
        )
        for n in range(101)
    )
    client = browser(cast, "head_a")
    first = client.get(f"/assessments/{assessment.pk}/history/").content.decode()
    second = client.get(f"/assessments/{assessment.pk}/history/?page=2").content.decode()
    assert first.count("<tr>") - 1 == 100 and "第 1 / 2 页" in first
    assert second.count("<tr>") - 1 == 1
    assert len(csv_rows(cast, assessment)) == 1 + 101  # the export is never paged


# --- CSV -------------------------------------------------------------------------------------------


def test_the_csv_has_a_bom_a_header_and_a_readable_row_per_event(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-1"), rating="met")
    rating_save(
        actor=cast.head_a,
        assessment=assessment,
        criterion=criterion("1.1-1-1"),
        rating="partial",
        score=Decimal("7.5"),
        remark="=HYPERLINK(1)",
    )
    assessment_submit(actor=cast.head_a, assessment=assessment)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("1.1-1-1"), reason="请补充")
    response = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/history.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="assessment-{assessment.pk}-history.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + AuditEvent.objects.filter(assessment_id=assessment.pk).count() == 5
    returned, submitted, changed, first = rows[1:]
    assert returned[2:] == ["退回细则", "1.1-1-1", "状态：已提交 → 部分退回", "请补充"]
    assert returned[1] == "inspector"
    assert submitted[2:5] == ["提交", "", "状态：草稿 → 已提交"]
    assert changed[2:5] == ["评分", "1.1-1-1", "评定：达标 → 基本达标；得分：15 → 7.5；备注：— → =HYPERLINK(1)"]
    assert first[2:5] == ["评分", "1.1-1-1", "评定：— → 达标；得分：— → 15"]
    when = datetime.datetime.fromisoformat(first[0])
    assert when.utcoffset() == datetime.timedelta(hours=8)  # Asia/Shanghai
    assert abs(when - AuditEvent.objects.get(pk=AuditEvent.objects.order_by("id").first().pk).created_at) < (
        datetime.timedelta(seconds=1)
    )


def test_the_csv_does_not_let_excel_run_a_typed_formula(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("3.1-3"), rating="met")
    assessment_submit(actor=cast.head_a, assessment=assessment)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("3.1-3"), reason="=1+1")
    [_header, returned, *_rest] = csv_rows(cast, assessment)
    assert returned[5] == "'=1+1"


def test_the_csv_follows_the_criterion_filter(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("2.1-1"), rating="unmet")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-2"), rating="met")
    rows = csv_rows(cast, assessment, query="?criterion=2.1-1")
    assert [r[3] for r in rows[1:]] == ["2.1-1"]


# --- who may see it --------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_history_permissions(cast: Cast, page: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target == "A" else cast.hospital_b
    assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.SELF)
    head = cast.head_a if target == "A" else cast.head_b
    rating_save(actor=head, assessment=assessment, criterion=criterion("2.1-1"), rating="met")
    url = f"/assessments/{assessment.pk}/" + ("history/" if page == "history" else "history.csv")
    response = browser(cast, who).get(url)
    expected = EXPECTED[page][target][CAST.index(who)]
    assert response.status_code == expected, (page, target, who)
    if expected == LOGIN:
        assert response.url.startswith("/accounts/login/?next=")
    elif expected == 200:
        assert "达标" in response.content.decode("utf-8-sig")


# --- cost ------------------------------------------------------------------------------------------


def make_events(assessment: Assessment, n: int) -> None:
    """n rating changes by n different people on different criteria (of different chapters)."""
    codes = list(Criterion.objects.filter(standard__code="cq2011").order_by("position").values_list("code", flat=True))
    for i in range(n):
        actor = UserFactory(hospital=assessment.hospital)
        rating = RatingFactory(assessment=assessment, criterion=criterion(codes[i % len(codes)]), rating="unmet")
        audit_record(
            actor=actor,
            action="rating.set",
            obj=rating,
            before={"rating": "met", "score": "5", "remark": ""},
            after={"rating": "unmet", "score": "0", "remark": f"第{i}条"},
            assessment=assessment,
            criterion=rating.criterion,
        )


@pytest.mark.parametrize(("url", "limit"), [("/assessments/{pk}/history/", 7), ("/assessments/{pk}/history.csv", 4)])
def test_history_queries_do_not_grow_with_events(
    cast: Cast, url: str, limit: int, django_assert_max_num_queries
) -> None:
    few = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    many = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    make_events(few, 5)
    make_events(many, 50)
    client = browser(cast, "head_a")
    client.get(url.format(pk=few.pk))  # warm the session
    counts = []
    for assessment in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url.format(pk=assessment.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(limit):
        client.get(url.format(pk=many.pk))
