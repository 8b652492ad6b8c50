"""The memoized comparison (issue 16) can never be stale: it is keyed by a digest of everything it is computed
from, read on every request (indicators/comparison.py, ComparisonInputs).

Each test warms the memo through the page and the API, changes one input through a real path, then checks that
both serve exactly what a computation from scratch gives, and that the change shows.
"""

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Hospital, Level
from indicators import comparison, rates
from indicators.models import Indicator, PeriodValue
from indicators.services import period_values_set
from tests.conftest import Cast
from tests.factories import HospitalFactory
from tests.indicators.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


def page_url(indicator: Indicator, year: int = 2026) -> str:
    return f"/indicators/{indicator.code}/comparison/?year={year}"


def api_url(indicator: Indicator, year: int = 2026) -> str:
    return f"/api/v1/indicators/{indicator.code}/comparison/?year={year}"


def served(cast: Cast, indicator: Indicator, **headers: str) -> tuple[str, object]:
    """The page's HTML and the API's JSON, as served now (from the memo when its key is current)."""
    page = Client(**headers)  # type: ignore[arg-type]
    page.force_login(cast.qc_admin)
    html = page.get(page_url(indicator))
    body = cast.client("qc_admin").get(api_url(indicator))
    assert html.status_code == body.status_code == 200
    # The levels' sections: the rest of the page carries per-request tokens (CSRF, CSP nonce).
    levels = re.findall(r'<section aria-labelledby="level-.*?</section>', html.content.decode(), re.S)
    assert levels
    return "".join(levels), body.json()


def fresh(cast: Cast, indicator: Indicator, **headers: str) -> tuple[str, object]:
    """The same, computed from scratch (the memo emptied first)."""
    comparison.memo_clear()
    return served(cast, indicator, **headers)


def put(hospital: Hospital, indicator: Indicator, numerator: int, denominator: int, year: int = 2026) -> None:
    PeriodValue.objects.update_or_create(
        hospital=hospital,
        indicator=indicator,
        year=year,
        month=1,
        defaults={"numerator": numerator, "denominator": denominator},
    )


def check_change(cast: Cast, indicator: Indicator, change: Callable[[], object], shows: str) -> None:
    warm = served(cast, indicator)
    assert served(cast, indicator) == warm  # served again: from the memo, the same
    change()
    after = served(cast, indicator)
    assert after == fresh(cast, indicator)
    assert after != warm
    assert shows in after[0]


def test_a_new_count_is_served_at_once(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)

    def enter() -> None:
        period_values_set(
            actor=cast.head_a,
            hospital=cast.hospital_a,
            indicator=block,
            year=2026,
            months={"1": {"numerator": 80, "denominator": 100}},
        )

    check_change(cast, block, enter, "80%")


def test_a_renamed_hospital_is_served_at_once(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)

    def rename() -> None:
        cast.hospital_a.name = "甲医院（新院区）"
        cast.hospital_a.save()

    check_change(cast, block, rename, "甲医院（新院区）")


def test_a_hospital_that_changes_level_moves_at_once(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)
    put(cast.hospital_b, block, 91, 100)

    def promote() -> None:
        Hospital.objects.filter(pk=cast.hospital_b.pk).update(level=Level.L3A)

    check_change(cast, block, promote, "2/2")  # two 3A hospitals ranked now


def test_a_new_hospital_is_served_at_once(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)
    check_change(cast, block, lambda: put(HospitalFactory(name="丙医院", level=Level.L3A), block, 99, 100), "丙医院")


def test_a_changed_target_judges_at_once(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)  # ≥93%: met

    def raise_target() -> None:
        Indicator.objects.filter(pk=block.pk).update(target_value=Decimal("96"))

    def judged() -> object:
        return served(cast, Indicator.objects.get(pk=block.pk))[1]

    before = judged()
    raise_target()
    comparison_now = judged()
    assert comparison_now == fresh(cast, Indicator.objects.get(pk=block.pk))[1]
    assert comparison_now != before
    assert "≥96%" in served(cast, Indicator.objects.get(pk=block.pk))[0]


def test_last_years_counts_judge_a_declining_target_at_once(cast: Cast, block: Indicator) -> None:
    declining = IndicatorFactory(
        indicator_set=block.indicator_set,
        code="t.complications",
        position=2,
        unit="percent",
        direction="lower",
        target_kind=rates.DECLINING,
        min_denominator=0,
    )
    put(cast.hospital_a, declining, 10, 1000)
    put(cast.hospital_a, declining, 50, 1000, year=2025)  # last year 5%: this year's 1% is lower, met
    warm = served(cast, declining)
    put(cast.hospital_a, declining, 5, 1000, year=2025)  # last year 0.5%: not lower any more
    after = served(cast, declining)
    assert after == fresh(cast, declining)
    assert after != warm


def test_each_language_has_its_own_page(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, 95, 100)
    chinese = served(cast, block)[0]
    english = served(cast, block, HTTP_ACCEPT_LANGUAGE="en")[0]
    assert "控制限内" in chinese and "控制限内" not in english
    assert english == fresh(cast, block, HTTP_ACCEPT_LANGUAGE="en")[0]


def test_unchanged_inputs_are_not_computed_again(cast: Cast, block: Indicator, monkeypatch: pytest.MonkeyPatch) -> None:
    put(cast.hospital_a, block, 95, 100)
    warm = served(cast, block)

    def computed(_inputs: comparison.ComparisonInputs) -> None:
        raise AssertionError("computed again from unchanged inputs")

    monkeypatch.setattr("indicators.views.levels_from", computed)
    monkeypatch.setattr("indicators.api.views.levels_from", computed)
    assert served(cast, block) == warm
