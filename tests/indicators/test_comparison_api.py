"""The comparison API (QC centre only), and indicators carried through to the engine's total."""

from decimal import Decimal

import pytest

from indicators.models import Indicator
from indicators.selectors import suggestions_for
from indicators.services import period_values_set
from scoring import engine
from scoring.models import AssessmentKind, Criterion
from scoring.selectors import assessment_result
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory, HospitalFactory, rate_all
from workspace.services import rating_save

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.mark.parametrize("who", CAST)
def test_comparison_api_is_for_the_qc_centre(cast: Cast, block: Indicator, who: str) -> None:
    response = cast.client(who).get(f"/api/v1/indicators/{block.code}/comparison/?year=2026")
    expected = {"qc_admin": 200, "anonymous": 401}.get(who, 403)
    assert response.status_code == expected


def test_comparison_api_ranks_within_each_level(cast: Cast, block: Indicator) -> None:
    other = HospitalFactory(name="丙医院", level="3A")
    for hospital, n in ((cast.hospital_a, 95), (other, 90)):
        period_values_set(
            actor=cast.qc_admin,
            hospital=hospital,
            indicator=block,
            year=2026,
            months={"1": {"numerator": n, "denominator": 100}},
        )
    body = cast.client("qc_admin").get(f"/api/v1/indicators/{block.code}/comparison/?year=2026").json()
    level = next(lv for lv in body["levels"] if lv["level"] == "3A")
    ranked = [(h["name"], h["rank"], h["value"], h["met"]) for h in level["hospitals"] if h["rank"]]
    assert ranked == [("甲医院", 1, "95", True), ("丙医院", 2, "90", False)]
    bad = cast.client("qc_admin").get(f"/api/v1/indicators/{block.code}/comparison/")
    assert bad.status_code == 400 and "year" in bad.json()


def test_indicators_to_suggested_rating_to_engine_total(cast: Cast, block: Indicator) -> None:
    """Indicators below target suggest 未达标 for 4.2-1-1; taking the suggestion costs its 8 points."""
    period_values_set(
        actor=cast.head_b,
        hospital=cast.hospital_b,
        indicator=block,
        year=2026,
        months={"1": {"numerator": 80, "denominator": 100}},  # 80% < the 2A target of 90%
    )
    suggestion = suggestions_for(cast.hospital_b, 2026)["4.2-1-1"]
    assert suggestion["rating"] == engine.UNMET
    inspection = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)
    rate_all(inspection)
    criterion = Criterion.objects.get(standard__code="cq2011", code="4.2-1-1")
    rating_save(actor=cast.qc_admin, assessment=inspection, criterion=criterion, rating=suggestion["rating"])
    result = assessment_result(inspection)
    assert result.total == D("992")  # 1000 − 8
    assert next(c for c in result.chapters if c.key == "4").score == D("212")


def test_comparison_api_queries_do_not_grow_with_hospitals(cast: Cast, block: Indicator) -> None:
    # Issue 16 (bench/province.py measures it with 800 hospitals): a constant number of queries.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from indicators.models import PeriodValue

    client = cast.client("qc_admin")
    url = f"/api/v1/indicators/{block.code}/comparison/?year=2026"

    def add(n: int) -> None:
        for i in range(n):
            hospital = HospitalFactory(level=("3A", "2A", "2B")[i % 3])
            PeriodValue.objects.bulk_create(
                PeriodValue(hospital=hospital, indicator=block, year=2026, month=m, numerator=9, denominator=10)
                for m in range(1, 13)
            )

    counts = []
    for n in (3, 3, 6):
        add(n)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert sum(len(level["hospitals"]) for level in response.json()["levels"]) == 12 + 2
    assert len(set(counts)) == 1, counts
