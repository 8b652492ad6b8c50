"""Issue 14 item 1: the three surgical-safety indicators with a "declining year on year" target.

Seed 003: "到2025年末，住院患者围手术期死亡、手术并发症、麻醉并发症等负性事件发生率进一步下降" — lower is
better, no numeric target, a trend: this year's pooled rate below last year's, with its interval, and
"too few cases" when the interval cannot tell the two years apart.
"""

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from indicators import definitions, rates
from indicators.models import Indicator, TargetKind
from indicators.selectors import hospital_year
from indicators.services import period_values_set
from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[2]
DATA: dict[str, Any] = json.loads((ROOT / "fixtures" / "indicators.json").read_text(encoding="utf-8"))
NEW = [
    "surgical_safety_2023.perioperative_mortality",
    "surgical_safety_2023.surgical_complication",
    "surgical_safety_2023.anesthesia_complication",
]
DEATHS = "surgical_safety_2023.perioperative_mortality"


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    with translation.override("zh-hans"):
        yield


def rate(n: int, d: int, least: int = 30) -> rates.Rate:
    return rates.compute(n, d, unit="percent", min_denominator=least)


# ------------------------------------------------------------------- pure --


def test_a_clear_fall_is_met_and_a_clear_rise_is_not() -> None:
    assert rates.against_last_year(rate(10, 10000), rate(50, 10000)).met is True
    assert rates.against_last_year(rate(50, 10000), rate(10, 10000)).met is False
    judged = rates.against_last_year(rate(10, 10000), rate(50, 10000))
    assert judged.previous is not None and judged.previous.value == Decimal("0.5")
    assert judged.value == Decimal("0.1")  # exact Decimal, in percent


def test_last_years_rate_inside_this_years_interval_is_too_few_cases() -> None:
    # 1/40 vs 2/40: 2.5% against 5%, but this year's 95% interval (0.44%–12.9%) holds 5%.
    judged = rates.against_last_year(rate(1, 40), rate(2, 40))
    assert judged.low is not None and judged.low <= Decimal(5) <= judged.high
    assert (judged.met, judged.too_few) == (None, True)


def test_below_the_minimum_either_year_is_too_few_cases() -> None:
    assert rates.against_last_year(rate(0, 20), rate(9, 10000)).too_few is True
    assert rates.against_last_year(rate(0, 10000), rate(0, 20)).too_few is True


def test_no_data_either_year_is_no_verdict() -> None:
    assert rates.against_last_year(rate(5, 1000), None).met is None
    assert rates.against_last_year(rate(5, 1000), rate(0, 0)).met is None


# ------------------------------------------------------------------- data --


@pytest.mark.parametrize("code", NEW)
def test_the_three_indicators_are_declining_lower_is_better_without_a_value(code: str) -> None:
    ind = next(i for s in DATA["sets"] for i in s["indicators"] if i["code"] == code)
    assert (ind["direction"], ind["target"], ind["target_kind"]) == ("lower", None, "declining")
    assert "围手术期死亡、手术并发症、麻醉并发症等负性事件发生率进一步下降" in ind["source_quotes"][0]
    assert ind["provenance"]["target"] == {"seed": "003"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "names"),
    [
        ({"target_kind": "rising"}, ".target_kind: 应为 fixed、declining"),
        ({"target_kind": "declining", "direction": "higher"}, ".target_kind: declining（逐年下降）"),
        ({"target_kind": "declining", "target": {"comparator": "le", "value": "1"}}, ".target_kind: declining"),
    ],
)
def test_a_bad_target_kind_is_refused_naming_it(change: dict[str, Any], names: str) -> None:
    data = copy.deepcopy(DATA)
    data["sets"][2]["indicators"][0].update(change)
    with pytest.raises(definitions.IndicatorFileError) as exc:
        definitions.load(data)
    assert any(names in e for e in exc.value.errors), exc.value.errors


@pytest.mark.django_db
def test_the_indicators_reach_a_database_loaded_before_them() -> None:
    assert set(Indicator.objects.filter(target_kind=TargetKind.DECLINING).values_list("code", flat=True)) == set(NEW)
    Indicator.objects.filter(code__in=NEW).delete()
    definitions.ensure_builtin_indicators()
    added = Indicator.objects.filter(code__in=NEW)
    assert added.count() == 3 and all(i.target_kind == TargetKind.DECLINING for i in added)


# ------------------------------------------------------- through the app --


def enter(cast: Cast, year: int, n: int, d: int, hospital: Any = None) -> None:
    period_values_set(
        actor=cast.qc_admin,
        hospital=hospital or cast.hospital_a,
        indicator=Indicator.objects.get(code=DEATHS),
        year=year,
        months={"1": {"numerator": n, "denominator": d}},
    )


@pytest.mark.django_db
def test_a_hospitals_year_is_judged_against_its_year_before(cast: Cast) -> None:
    enter(cast, 2025, 50, 10000)
    enter(cast, 2026, 10, 10000)
    (row,) = hospital_year(cast.hospital_a, 2026, [Indicator.objects.get(code=DEATHS)])
    assert row["year"].met is True and row["year"].previous.value == Decimal("0.5")


@pytest.mark.django_db
def test_the_dashboard_and_the_comparison_show_the_trend_target(cast: Cast) -> None:
    enter(cast, 2025, 50, 10000)
    enter(cast, 2026, 10, 10000)
    enter(cast, 2025, 2, 40, hospital=cast.hospital_b)
    enter(cast, 2026, 1, 40, hospital=cast.hospital_b)
    client = Client()
    client.force_login(cast.qc_admin)
    page = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=surgical_safety_2023")
    html = page.content.decode()
    row = html[html.index(f'id="i-{DEATHS}"') :]
    row = row[: row.index("</tr>")]
    assert "逐年下降" in row and "上年 0.5%" in row and "badge-pass" in row
    comparison = client.get(f"/indicators/{DEATHS}/comparison/?year=2026").content.decode()
    assert "目标：逐年下降" in comparison
    b = comparison[comparison.index(f'id="h-{cast.hospital_b.pk}"') :]
    b = b[: b.index("</tr>")]
    assert "上年 5%" in b and "例数过少" in b and "badge-pass" not in b and "badge-fail" not in b
    dashboard = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/{DEATHS}/dashboard/?year=2026")
    assert "逐年下降" in dashboard.content.decode()
