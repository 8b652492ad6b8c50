"""Shared fixtures of the indicator tests."""

from decimal import Decimal

import pytest

from indicators.models import Indicator, IndicatorSet
from scoring.models import Criterion
from tests.indicators.factories import IndicatorFactory, IndicatorSetFactory


@pytest.fixture
def block(db: None) -> Indicator:
    """One indicator (nerve-block success ≥ 93%, 2A's own target ≥ 90%) feeding 4.2-1-1, alone in the database."""
    IndicatorSet.objects.all().delete()  # independent of the shipped definitions
    family = IndicatorSetFactory(code="t", name="测试指标集")
    return IndicatorFactory(
        indicator_set=family,
        code="t.nerve_block_success",
        position=1,
        name="神经阻滞麻醉成功率",
        numerator_text="神经阻滞成功例数",
        denominator_text="同期神经阻滞总例数",
        unit="percent",
        direction="higher",
        target_comparator="ge",
        target_value=Decimal("93"),
        level_targets={"2A": {"comparator": "ge", "value": "90"}},
        min_denominator=30,
        criteria=[Criterion.objects.get(standard__code="cq2011", code="4.2-1-1")],
    )
