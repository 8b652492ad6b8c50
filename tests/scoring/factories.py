"""factory_boy factories of scoring: the standard's parts, assessments and ratings.

Assessments and ratings are built against the shipped standard `cq2011` (loaded by the migrations);
StandardFactory and its parts build a small standard of their own.
"""

from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from scoring.models import (
    Assessment,
    AssessmentKind,
    Chapter,
    Criterion,
    Item,
    Rating,
    RatingValue,
    Standard,
)
from tests.accounts.factories import HospitalFactory


class StandardFactory(DjangoModelFactory):
    class Meta:
        model = Standard

    code = factory.Sequence(lambda n: f"standard{n}")
    title = factory.Sequence(lambda n: f"测试标准{n}")
    total_points = Decimal("100")


class ChapterFactory(DjangoModelFactory):
    class Meta:
        model = Chapter

    standard = factory.SubFactory(StandardFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"章{n}")
    max_points = Decimal("10")


class ItemFactory(DjangoModelFactory):
    class Meta:
        model = Item

    chapter = factory.SubFactory(ChapterFactory)
    code = factory.Sequence(lambda n: f"{n + 1}.1")
    position = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"项目{n}")
    max_points = Decimal("10")


class CriterionFactory(DjangoModelFactory):
    class Meta:
        model = Criterion

    item = factory.SubFactory(ItemFactory)
    standard = factory.SelfAttribute("item.chapter.standard")
    code = factory.Sequence(lambda n: f"{n + 1}.1-1-1")
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"评分细则{n}")
    max_points = Decimal("10")


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    hospital = factory.SubFactory(HospitalFactory)
    standard = factory.LazyFunction(lambda: Standard.objects.get(code="cq2011"))
    kind = AssessmentKind.SELF
    year = 2026


class RatingFactory(DjangoModelFactory):
    """A rating written directly (no service, no audit record, no rater): met scores the criterion's points,
    unmet 0; a partial rating needs its score."""

    class Meta:
        model = Rating

    assessment = factory.SubFactory(AssessmentFactory)
    criterion = factory.LazyAttribute(lambda o: o.assessment.standard.criteria.get(code="1.1-1-1"))
    rating = RatingValue.MET
    score = factory.LazyAttribute(lambda o: o.criterion.max_points if o.rating == RatingValue.MET else Decimal(0))


def rate_all(assessment: Assessment, *, rating: str = "met") -> None:
    """Rate every applicable criterion directly (fast), e.g. so an assessment may be finalized."""
    criteria = Criterion.objects.filter(standard=assessment.standard)
    if not assessment.hospital.key_specialty:
        criteria = criteria.filter(applies_to="all")
    done = set(Rating.objects.filter(assessment=assessment).values_list("criterion_id", flat=True))
    Rating.objects.bulk_create(
        Rating(assessment=assessment, criterion=c, rating=rating, score=c.max_points if rating == "met" else 0)
        for c in criteria
        if c.pk not in done
    )
