"""The standard's parts are cached under its revision, which the database changes with any part."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scoring import selectors
from scoring.models import Criterion, GradeThreshold, Standard
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all

pytestmark = pytest.mark.django_db


def test_any_change_to_a_part_gives_the_standard_a_new_revision() -> None:
    standard = Standard.objects.get(code="cq2011")
    seen = {standard.revision}
    Criterion.objects.filter(standard=standard, code="1.1-1-1").update(veto=False)
    seen.add(Standard.objects.get(pk=standard.pk).revision)
    GradeThreshold.objects.filter(standard=standard, level="3A").update(points=Decimal("851"))
    seen.add(Standard.objects.get(pk=standard.pk).revision)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE scoring_item SET title = title || '' WHERE code = '1.1-1'")
    seen.add(Standard.objects.get(pk=standard.pk).revision)
    assert len(seen) == 4


def test_a_veto_change_reaches_the_next_result_and_a_cached_standard_costs_no_query(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(assessment)
    criterion = Criterion.objects.get(standard=assessment.standard, code="1.1-1-2")
    criterion.ratings.filter(assessment=assessment).update(rating="unmet", score=0)
    fresh = lambda: type(assessment).objects.select_related("standard", "hospital").get(pk=assessment.pk)  # noqa: E731
    assert selectors.assessment_result(fresh()).veto_failed == []
    criterion.veto = True
    criterion.save()
    again = fresh()
    with CaptureQueriesContext(connection) as queries:
        assert selectors.assessment_result(again).veto_failed == ["1.1-1-2"]
    assert len(queries) == 4  # a new revision: the parts are read again (three queries), then the ratings
    with CaptureQueriesContext(connection) as queries:
        selectors.assessment_result(again)
    assert len(queries) == 1  # only the ratings
