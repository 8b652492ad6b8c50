"""factory_boy factories shared by the suite."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Hospital, InspectorAssignment, Level, Role, User
from scoring.models import Assessment, AssessmentKind, Standard

PASSWORD = "correct-horse-battery-staple"


class HospitalFactory(DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"测试医院{n}")
    level = Level.L3A
    key_specialty = False
    teaching = False
    district = "渝中区"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.DEPARTMENT_HEAD
    hospital = factory.SubFactory(HospitalFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = InspectorAssignment

    inspector = factory.SubFactory(UserFactory, role=Role.INSPECTOR, hospital=None)
    hospital = factory.SubFactory(HospitalFactory)


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    hospital = factory.SubFactory(HospitalFactory)
    standard = factory.LazyFunction(lambda: Standard.objects.get(code="cq2011"))
    kind = AssessmentKind.SELF
    year = 2026


def rate_all(assessment: Assessment, *, rating: str = "met") -> None:
    """Rate every applicable criterion directly (fast), e.g. so an assessment may be finalized."""
    from scoring.models import Criterion, Rating

    criteria = Criterion.objects.filter(standard=assessment.standard)
    if not assessment.hospital.key_specialty:
        criteria = criteria.filter(applies_to="all")
    done = set(Rating.objects.filter(assessment=assessment).values_list("criterion_id", flat=True))
    Rating.objects.bulk_create(
        Rating(assessment=assessment, criterion=c, rating=rating, score=c.max_points if rating == "met" else 0)
        for c in criteria
        if c.pk not in done
    )
