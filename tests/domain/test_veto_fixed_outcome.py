"""Issue 14 item 5: a ★ item rated 未达标 fixes the outcome at once, before the rest is rated.

Seed 001 (the standard): "★为基本要求，实行单项否决" — a starred item is a basic requirement with
single-item veto, so once one is unmet the outcome is 未达标 whatever the rest.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client

from reports import services as report_services
from reports.models import ReportKind
from scoring import engine
from scoring.engine import CriterionSpec, RatingInput
from scoring.models import Assessment, AssessmentKind, Criterion, Rating
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from tests.reports.conftest import pdftotext

D = Decimal
THRESHOLDS = {"3A": D("850")}
SPECS = [
    CriterionSpec(code="a", chapter=1, item="1.1", max_points=D("10"), veto=True),
    CriterionSpec(code="b", chapter=1, item="1.1", max_points=D("990")),
]


def run(ratings: dict[str, RatingInput]) -> engine.Result:
    return engine.evaluate(criteria=SPECS, ratings=ratings, key_specialty=False, level="3A", thresholds=THRESHOLDS)


# ------------------------------------------------------------------ engine --


def test_a_veto_miss_fixes_fail_while_outcome_stays_incomplete() -> None:
    result = run({"a": RatingInput(engine.UNMET, D(0))})
    assert result.outcome == engine.INCOMPLETE  # compatibility: incomplete until complete
    assert (result.outcome_fixed, result.reason) == (engine.FAIL, engine.VETO)
    assert result.unrated == ["b"]


def test_without_a_veto_miss_an_incomplete_result_is_still_open() -> None:
    result = run({"a": RatingInput(engine.MET, D(10))})
    assert (result.outcome, result.outcome_fixed, result.reason) == (engine.INCOMPLETE, None, None)


@pytest.mark.parametrize(
    ("a", "b", "fixed"),
    [
        ((engine.MET, D(10)), (engine.MET, D(990)), (engine.PASS, None)),
        ((engine.MET, D(10)), (engine.UNMET, D(0)), (engine.FAIL, engine.BELOW_THRESHOLD)),
        ((engine.UNMET, D(0)), (engine.MET, D(990)), (engine.FAIL, engine.VETO)),
    ],
)
def test_a_complete_result_is_fixed_at_its_outcome(a: tuple, b: tuple, fixed: tuple) -> None:
    result = run({"a": RatingInput(*a), "b": RatingInput(*b)})
    assert (result.outcome_fixed, result.reason) == fixed
    assert result.outcome == fixed[0]
    assert result.total == a[1] + b[1]  # totals stay exact Decimal


def test_a_snapshot_frozen_before_the_field_existed_gets_it() -> None:
    old = {"outcome": "fail", "veto_failed": ["a"], "total": "990", "threshold": "850"}
    assert engine.with_fixed_outcome(old)["outcome_fixed"] == "fail"
    assert engine.with_fixed_outcome(old)["reason"] == "veto"


# --------------------------------------------------------- through the app --


def veto_missed(cast: Cast) -> Assessment:
    """A self-assessment with ★1.1-1-1 unmet and one other criterion met, the rest unrated."""
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    for code, rating in (("1.1-1-1", "unmet"), ("1.2-1-1", "met")):
        c = Criterion.objects.get(standard__code="cq2011", code=code)
        Rating.objects.create(
            assessment=assessment, criterion=c, rating=rating, score=c.max_points if rating == "met" else 0
        )
    return assessment


def test_the_api_keeps_incomplete_and_adds_outcome_fixed_and_reason(cast: Cast) -> None:
    assessment = veto_missed(cast)
    data = cast.client("head_a").get(f"/api/v1/assessments/{assessment.pk}/result/").json()
    assert data["outcome"] == "incomplete"
    assert (data["outcome_fixed"], data["reason"]) == ("fail", "veto")
    assert data["veto_failed"] == ["1.1-1-1"]
    assert len(data["unrated"]) == data["applicable"] - 2


def test_a_complete_passing_result_says_pass_fixed(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    data = cast.client("head_a").get(f"/api/v1/assessments/{assessment.pk}/result/").json()
    assert (data["outcome"], data["outcome_fixed"], data["reason"]) == ("pass", "pass", None)


def test_the_result_page_and_totals_bar_say_already_failed_with_the_remaining_count(cast: Cast) -> None:
    assessment = veto_missed(cast)
    client = Client()
    client.force_login(cast.head_a)
    remaining = Criterion.objects.filter(standard__code="cq2011").count() - 2  # A is a key-specialty department
    result_page = client.get(f"/assessments/{assessment.pk}/result/").content.decode()
    assert 'data-testid="outcome" data-outcome-fixed="fail">未达标（★ 单项否决）</span>' in result_page
    assert f"尚有 {remaining} 项未评" in result_page
    assert "未完成</span>" not in result_page
    workspace = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert 'data-testid="totals-outcome" data-outcome-fixed="fail">未达标（★ 单项否决）' in workspace


@pytest.mark.usefixtures("media_root")
def test_the_pdf_says_already_failed(cast: Cast, settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = veto_missed(cast)
    job = report_services.report_request(actor=cast.qc_admin, kind=ReportKind.ASSESSMENT, assessment=assessment)
    report_services.report_run(job_id=job.pk, worker="test")
    job.refresh_from_db()
    flat = "".join(pdftotext(Path(job.file.path)).split())
    assert "未达标（★单项否决）" in flat
    assert "结论已定为未达标，无论其余细则如何评定" in flat


@pytest.fixture
def media_root() -> None:
    """MEDIA_ROOT is set per test above."""


def test_the_score_sheet_header_says_already_failed(cast: Cast) -> None:
    from tests.scoring.sheets import Sheet

    assessment = veto_missed(cast)
    client = Client()
    client.force_login(cast.head_a)
    sheet = Sheet(client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    head = [str(v) for row in sheet.ws.iter_rows(max_row=8, values_only=True) for v in row if v is not None]
    assert any(v.startswith("未达标（★ 单项否决）") for v in head), head
