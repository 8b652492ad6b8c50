"""Issue 14 item 6: indicator suggestions respect "too few cases" and a missing linked indicator.

Seed 001, appendix and 4.2-4-4: "2-4-4 椎管内麻醉神经并发症发生率 标准:0.02%(其中截瘫发生率应0.001%)".
Both rates feed 4.2-4-4; at ≤0.001% a single paraplegia needs 100,000 neuraxial anaesthetics before it
can be judged, so 1 case in 6,000 is "too few cases", not 未达标.
"""

from decimal import Decimal

import pytest

from indicators import rates
from indicators.models import Indicator
from indicators.selectors import suggestions_for
from indicators.services import period_values_set
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
NEURO = "cq2011.neuraxial_neuro_complication"
PARAPLEGIA = "cq2011.paraplegia"


def enter(cast: Cast, code: str, numerator: int, denominator: int) -> None:
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=Indicator.objects.get(code=code),
        year=2026,
        months={"1": {"numerator": numerator, "denominator": denominator}},
    )


def test_one_paraplegia_in_fewer_than_100000_gives_no_definite_suggestion(cast: Cast) -> None:
    enter(cast, NEURO, 0, 6000)
    enter(cast, PARAPLEGIA, 1, 6000)
    suggestion = suggestions_for(cast.hospital_a, 2026)["4.2-4-4"]
    assert suggestion["rating"] is None
    paraplegia = dict((i.code, r) for i, r in suggestion["indicators"])[PARAPLEGIA]
    assert paraplegia.met is False and paraplegia.too_few is True  # shown, flagged, but not decisive


def test_one_of_two_linked_indicators_missing_gives_no_suggestion_even_when_the_other_misses(cast: Cast) -> None:
    enter(cast, NEURO, 5, 10000)  # 0.05% > 0.02%, enough cases to judge
    assert suggestions_for(cast.hospital_a, 2026)["4.2-4-4"]["rating"] is None
    enter(cast, PARAPLEGIA, 0, 100000)
    enter(cast, NEURO, 5, 100000)  # 0.005% ≤ 0.02%
    assert suggestions_for(cast.hospital_a, 2026)["4.2-4-4"]["rating"] == "met"
    enter(cast, NEURO, 30, 100000)  # 0.03% > 0.02%: both judgeable now, a real miss
    assert suggestions_for(cast.hospital_a, 2026)["4.2-4-4"]["rating"] == "unmet"


def test_too_few_cases_is_no_suggestion_either_way() -> None:
    target = rates.Target(rates.GE, Decimal("93"))
    assert rates.suggest([rates.compute(10, 10, unit="percent", target=target, min_denominator=30)]) is None
    assert rates.suggest([rates.compute(1, 10, unit="percent", target=target, min_denominator=30)]) is None
    assert rates.suggest([rates.compute(30, 30, unit="percent", target=target, min_denominator=30)]) == "met"
