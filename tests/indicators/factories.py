"""factory_boy factories of indicators: indicator sets, indicators and monthly counts.

Case rows are imported through `indicators.cases` in the tests (the import is what they test), or
written raw where a test is about the database's own guard.
"""

import factory
from factory.django import DjangoModelFactory

from indicators.models import Direction, Indicator, IndicatorSet, PeriodValue, Unit
from tests.accounts.factories import HospitalFactory


class IndicatorSetFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorSet

    code = factory.Sequence(lambda n: f"set{n}")
    name = factory.Sequence(lambda n: f"测试指标集{n}")


class IndicatorFactory(DjangoModelFactory):
    """An indicator without a target unless one is given; `criteria=[...]` links the criteria it feeds."""

    class Meta:
        model = Indicator
        skip_postgeneration_save = True

    indicator_set = factory.SubFactory(IndicatorSetFactory)
    code = factory.Sequence(lambda n: f"t.indicator_{n}")
    name = factory.Sequence(lambda n: f"测试指标{n}")
    numerator_text = "分子"
    denominator_text = "分母"
    unit = Unit.PERCENT
    direction = Direction.HIGHER

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.criteria.set(extracted)


class PeriodValueFactory(DjangoModelFactory):
    """One month's counts of an indicator, entered by hand."""

    class Meta:
        model = PeriodValue

    hospital = factory.SubFactory(HospitalFactory)
    indicator = factory.SubFactory(IndicatorFactory)
    year = 2026
    month = 1
    numerator = 95
    denominator = 100
