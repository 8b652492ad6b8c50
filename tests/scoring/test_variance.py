"""Self vs inspection variance: per criterion and per chapter, largest gaps first."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import AssessmentKind, Criterion, Rating
from scoring.selectors import assessment_variance
from tests.conftest import CAST, Cast
from tests.scoring.factories import AssessmentFactory, RatingFactory, rate_all

pytestmark = pytest.mark.django_db
D = Decimal


def pair(cast: Cast, hospital_name: str = "a") -> tuple:
    hospital = cast.hospital_a if hospital_name == "a" else cast.hospital_b
    own = AssessmentFactory(hospital=hospital, kind=AssessmentKind.SELF)
    inspection = AssessmentFactory(hospital=hospital, kind=AssessmentKind.INSPECTION)
    rate_all(own)
    rate_all(inspection)
    return own, inspection


def lower(assessment, code: str, rating: str, score: str) -> None:
    Rating.objects.filter(assessment=assessment, criterion__code=code).update(rating=rating, score=D(score))


def test_largest_gaps_come_first_in_weighted_points(cast: Cast) -> None:
    own, inspection = pair(cast)  # hospital A is a key specialty: 3.1-* count × 0.7
    lower(inspection, "2.1-1", "unmet", "0")  # gap 50
    lower(inspection, "3.1-17-1", "partial", "10")  # gap (30 − 10) × 0.7 = 14
    lower(own, "1.1-1-2", "partial", "10")  # self lower: gap −10
    variance = assessment_variance(inspection)
    top = [(r["criterion"].code, r["gap"]) for r in variance["rows"][:3]]
    assert top == [("2.1-1", D("50")), ("3.1-17-1", D("14.0")), ("1.1-1-2", D("-10"))]
    assert variance["gap"] == D("54.0")
    chapters = {c["number"]: c["gap"] for c in variance["chapters"]}
    assert chapters == {1: D("-10"), 2: D("50"), 3: D("14.0"), 4: D("0"), 5: D("0")}
    assert [c["number"] for c in variance["chapters"]][:2] == [2, 3]
    assert assessment_variance(own)["rows"] == variance["rows"]


def test_without_the_other_half_there_is_nothing_to_compare(cast: Cast) -> None:
    lonely = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    assert assessment_variance(lonely) is None
    client = Client()
    client.force_login(cast.head_b)
    assert "目前缺少其中之一" in client.get(f"/assessments/{lonely.pk}/variance/").content.decode()


# Of a draft inspection: a department does not see it before it is finalized (issue 12).
EXPECTED = {"A": (200, 200, 404, 404, 404, 404, 302), "B": (200, 404, 404, 404, 404, 404, 302)}


@pytest.mark.parametrize(("target", "who"), [(t, w) for t in EXPECTED for w in CAST])
def test_variance_page_permissions(cast: Cast, target: str, who: str) -> None:
    _, inspection = pair(cast, "a" if target == "A" else "b")
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    assert client.get(f"/assessments/{inspection.pk}/variance/").status_code == EXPECTED[target][CAST.index(who)]


def test_variance_page_queries_do_not_grow_with_ratings(cast: Cast) -> None:
    few_self = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, year=2025)
    few = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2025)
    c = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    for a in (few_self, few):
        RatingFactory(assessment=a, criterion=c)
    _, many = pair(cast)
    client = Client()
    client.force_login(cast.qc_admin)
    client.get(f"/assessments/{few.pk}/variance/")
    counts = []
    for a in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/assessments/{a.pk}/variance/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_variance_page_writes_numbers_as_people_do(cast: Cast) -> None:
    # B is no key specialty: no weights. Self 1000 − 50 − 1.5 = 948.5, not 948.50 (issue 13, D18).
    own, inspection = pair(cast, "b")
    lower(own, "2.1-1", "unmet", "0")
    points = Criterion.objects.get(standard=own.standard, code="1.1-1-2").max_points
    lower(own, "1.1-1-2", "partial", str(points - D("1.5")))
    lower(inspection, "2.1-1", "partial", "20")  # 970
    assert assessment_variance(inspection)["self_total"] == D("948.5")
    client = Client()
    client.force_login(cast.qc_admin)
    body = client.get(f"/assessments/{inspection.pk}/variance/").content.decode()
    assert "<strong>948.5</strong>" in body and "948.50" not in body
    assert "<strong>970</strong>" in body
    assert '<strong data-testid="variance-gap">-21.5</strong>' in body
    assert "<strong>-1.5</strong>" in body and "-1.50" not in body  # the criterion's own gap
