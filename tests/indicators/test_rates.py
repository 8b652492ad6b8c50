"""Rates from counts: boundaries, no data, the Wilson interval, targets and suggested ratings (no database)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators import rates
from indicators.rates import Target

D = Decimal
AT_LEAST_93 = Target("ge", D("93"))
AT_MOST_001 = Target("le", D("0.01"))


def test_exactly_93_percent_meets_at_least_93() -> None:
    assert rates.compute(93, 100, unit="percent", target=AT_LEAST_93).met is True
    assert rates.compute(9300, 10000, unit="percent", target=AT_LEAST_93).value == D("93")
    assert rates.compute(9299, 10000, unit="percent", target=AT_LEAST_93).met is False


def test_zero_over_zero_is_no_data_not_zero() -> None:
    rate = rates.compute(0, 0, unit="percent", target=AT_LEAST_93)
    assert rate.no_data and rate.value is None and rate.met is None


def test_an_explicit_zero_numerator_is_a_rate_of_zero() -> None:
    rate = rates.compute(0, 20000, unit="percent", target=AT_MOST_001)
    assert rate.value == D("0") and rate.met is True


def test_mortality_at_the_limit_and_just_over() -> None:
    assert rates.compute(1, 10000, unit="percent", target=AT_MOST_001).met is True  # 0.01%
    assert rates.compute(2, 10000, unit="percent", target=AT_MOST_001).met is False


def test_permille_and_per_10000_units() -> None:
    assert rates.compute(18, 10000, unit="permille", target=Target("le", D("1.8"))).met is True
    assert rates.compute(3, 10000, unit="per_10000").value == D("3")


def test_small_denominators_are_flagged() -> None:
    assert rates.compute(9, 10, unit="percent", min_denominator=30).too_few is True
    assert rates.compute(28, 30, unit="percent", min_denominator=30).too_few is False


def test_wilson_interval_matches_the_textbook_value() -> None:
    rate = rates.compute(93, 100, unit="percent")
    # Wilson 95% for 93/100: 86.25% – 96.57% (Newcombe 1998, method 3).
    assert rate.low is not None and rate.high is not None
    assert D("86.24") < rate.low < D("86.26")
    assert D("96.56") < rate.high < D("96.58")


def test_ratios_have_no_binomial_interval() -> None:
    rate = rates.compute(12, 30, unit="ratio", target=Target("ge", D("0.3333")))
    assert rate.value == D("0.4") and rate.low is None and rate.met is True


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_the_interval_contains_the_rate_and_stays_within_0_and_100(n: int, d: int) -> None:
    n = min(n, d)
    rate = rates.compute(n, d, unit="percent")
    assert rate.low is not None and rate.high is not None and rate.value is not None
    assert D(0) <= rate.low <= rate.value <= rate.high <= D(100)


def test_months_add_up_to_quarters_and_years() -> None:
    assert rates.total([(1, 100), (0, 50), (2, 80)]) == (3, 230)


@pytest.mark.parametrize(
    ("mets", "expected"),
    [
        ([True, True], "met"),
        ([True, False], "unmet"),
        # Issue 14 item 6: one linked indicator missing leaves the criterion without a definite suggestion.
        ([None, False], None),
        ([True, None], None),
        ([], None),
    ],
)
def test_suggested_rating_from_linked_indicators(mets: list, expected: str | None) -> None:
    values = {True: (95, 100), False: (90, 100), None: (0, 0)}
    linked = [rates.compute(*values[m], unit="percent", target=AT_LEAST_93) for m in mets]
    assert rates.suggest(linked) == expected
