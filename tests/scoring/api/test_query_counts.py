"""Query counts of the API's read endpoints: fixed numbers, the same with N and 2N rows.

Every request spends one query on authentication (the token, joined to its user).
The rest is the endpoint's own, and must not grow with the data: a standard tree
is prefetched in five queries, a result is one read when cached under the assessment's ratings revision, two when
computed (five when the standard is not cached either), and
lists are one COUNT plus one page, with hospitals and standards joined in.
"""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Level
from scoring import selectors
from scoring.models import Assessment, AssessmentKind, Criterion, GradeThreshold, Rating
from tests.accounts.factories import AssignmentFactory, HospitalFactory
from tests.conftest import Cast
from tests.scoring.factories import AssessmentFactory, StandardFactory

AUTH = 1  # SELECT the token with its user

QUERIES = {
    "standard-list": AUTH + 2,  # standards, thresholds
    "standard-detail": AUTH + 5,  # standard, thresholds, chapters, items, criteria
    "criterion-detail": AUTH + 1,
    "assessment-detail": AUTH + 1,  # assessment joined to hospital and standard
    # The assessment, then the result cached under its ratings revision (issue 16); on a miss, its ratings
    # with that revision (one more query). The standard's parts (sections, criteria, thresholds: three more
    # queries) are cached per process under its revision (tested cold and warm below).
    "assessment-result": AUTH + 1,
    "assessment-result-miss": AUTH + 2,
    "assessment-ratings": AUTH + 2,  # assessment, ratings joined to criterion, rater and hospital
    "list": AUTH + 2,  # COUNT, then the page with its joins
    "empty-list": AUTH + 1,  # COUNT is 0, so no page is read
}

AssertQueries = Callable[..., CaptureQueriesContext]


def get_counting(client: APIClient, url: str, expected: int, assert_num_queries: AssertQueries, **params) -> int:
    """GET `url` and assert its exact number of queries; returns the number of rows in the answer."""
    with assert_num_queries(expected, info=url):
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    data = response.data
    return len(data["results"]) if isinstance(data, dict) and "results" in data else len(data)


def rate(assessment: Assessment, codes: list[str] | None = None) -> int:
    """Rate the given criteria (default: all applicable) met, straight into the table."""
    criteria = Criterion.objects.filter(standard=assessment.standard)
    if codes is not None:
        criteria = criteria.filter(code__in=codes)
    if not assessment.hospital.key_specialty:
        criteria = criteria.exclude(applies_to="key_specialty")
    ratings = [Rating(assessment=assessment, criterion=c, rating="met", score=c.max_points) for c in criteria]
    Rating.objects.bulk_create(ratings)
    return len(ratings)


# --------------------------------------------------------------- standards --


def test_standard_detail_reads_the_whole_tree_in_a_fixed_number_of_queries(
    cast: Cast, django_assert_num_queries
) -> None:
    client = cast.client("head_a")

    with django_assert_num_queries(QUERIES["standard-detail"]):
        response = client.get("/api/v1/standards/cq2011/")

    assert response.status_code == 200
    chapters = response.data["chapters"]
    assert sum(len(item["criteria"]) for chapter in chapters for item in chapter["items"]) == 102


def test_standard_list_stays_at_the_same_count_with_more_standards(cast: Cast, django_assert_num_queries) -> None:
    client = cast.client("head_a")
    before = get_counting(client, "/api/v1/standards/", QUERIES["standard-list"], django_assert_num_queries)
    for n in range(before):
        standard = StandardFactory(code=f"extra{n}", title=f"附加标准{n}", total_points=Decimal("100"))
        GradeThreshold.objects.bulk_create(
            GradeThreshold(standard=standard, level=level, points=Decimal("60")) for level in Level.values
        )

    after = get_counting(client, "/api/v1/standards/", QUERIES["standard-list"], django_assert_num_queries)

    assert after == 2 * before


def test_criterion_detail_is_one_query_after_authentication(cast: Cast, django_assert_num_queries) -> None:
    client = cast.client("head_a")

    with django_assert_num_queries(QUERIES["criterion-detail"]):
        assert client.get("/api/v1/standards/cq2011/criteria/3.1-3/").status_code == 200


# ------------------------------------------------------ one assessment's reads --


@pytest.mark.parametrize("who", ["qc_admin", "inspector", "head_a"])
def test_result_costs_the_same_with_one_rating_and_with_all_102(
    cast: Cast, who: str, django_assert_num_queries
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    client = cast.client(who)
    url = f"/api/v1/assessments/{assessment.pk}/result/"
    rate(assessment, ["1.1-1-1"])

    selectors._standard_parts.cache_clear()
    selectors.results_cache_clear()
    with django_assert_num_queries(QUERIES["assessment-result-miss"] + 3):
        client.get(url)
    with django_assert_num_queries(QUERIES["assessment-result"]):
        one = client.get(url)
    Rating.objects.filter(assessment=assessment).delete()
    assert rate(assessment) == 102
    with django_assert_num_queries(QUERIES["assessment-result-miss"]):
        full = client.get(url)
    with django_assert_num_queries(QUERIES["assessment-result"]):
        assert client.get(url).data == full.data

    assert (one.data["rated"], full.data["rated"]) == (1, 102)
    assert full.data["total"] == "1000"


def test_ratings_list_costs_the_same_with_one_rating_and_with_all_102(cast: Cast, django_assert_num_queries) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    client = cast.client("head_a")
    url = f"/api/v1/assessments/{assessment.pk}/ratings/"
    rate(assessment, ["3.1-3"])

    one = get_counting(client, url, QUERIES["assessment-ratings"], django_assert_num_queries)
    Rating.objects.filter(assessment=assessment).delete()
    rate(assessment)
    full = get_counting(client, url, QUERIES["assessment-ratings"], django_assert_num_queries)

    assert (one, full) == (1, 102)


def test_assessment_detail_is_one_query_after_authentication(cast: Cast, django_assert_num_queries) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate(assessment)
    client = cast.client("staff_a")

    with django_assert_num_queries(QUERIES["assessment-detail"]):
        assert client.get(f"/api/v1/assessments/{assessment.pk}/").status_code == 200


# ------------------------------------------------------------------- lists --

N = 4


def add_hospitals_with_assessments(cast: Cast, n: int, *, year: int) -> None:
    """n more hospitals, each with a rated self-assessment and an inspection, seen by `inspector`."""
    for _ in range(n):
        hospital = HospitalFactory(key_specialty=True)
        AssignmentFactory(inspector=cast.inspector, hospital=hospital)
        for kind in (AssessmentKind.SELF, AssessmentKind.INSPECTION):
            rate(AssessmentFactory(hospital=hospital, kind=kind, year=year), ["1.1-1-1", "3.1-3"])


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_assessment_list_costs_the_same_with_n_and_2n_assessments(
    cast: Cast, who: str, django_assert_num_queries
) -> None:
    client = cast.client(who)
    add_hospitals_with_assessments(cast, N, year=2026)
    with_n = get_counting(client, "/api/v1/assessments/", QUERIES["list"], django_assert_num_queries)
    add_hospitals_with_assessments(cast, N, year=2026)

    with_2n = get_counting(client, "/api/v1/assessments/", QUERIES["list"], django_assert_num_queries)

    assert with_2n == 2 * with_n == 4 * N


def test_a_department_head_assessment_list_costs_the_same_with_n_and_2n_assessments(
    cast: Cast, django_assert_num_queries
) -> None:
    client = cast.client("head_a")
    for year in range(2000, 2000 + N):
        AssessmentFactory(hospital=cast.hospital_a, year=year)
    add_hospitals_with_assessments(cast, N, year=2026)  # foreign: must not add rows or queries
    with_n = get_counting(client, "/api/v1/assessments/", QUERIES["list"], django_assert_num_queries)
    for year in range(2000 + N, 2000 + 2 * N):
        AssessmentFactory(hospital=cast.hospital_a, year=year)

    with_2n = get_counting(client, "/api/v1/assessments/", QUERIES["list"], django_assert_num_queries)

    assert (with_n, with_2n) == (N, 2 * N)


def test_filtered_assessment_list_costs_the_same_as_the_plain_one(cast: Cast, django_assert_num_queries) -> None:
    client = cast.client("inspector")
    add_hospitals_with_assessments(cast, N, year=2026)

    rows = get_counting(
        client, "/api/v1/assessments/", QUERIES["list"], django_assert_num_queries, kind="self", level="3A"
    )

    assert rows == N


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_hospital_list_costs_the_same_with_n_and_2n_hospitals(cast: Cast, who: str, django_assert_num_queries) -> None:
    client = cast.client(who)
    add_hospitals_with_assessments(cast, N, year=2026)
    with_n = get_counting(client, "/api/v1/hospitals/", QUERIES["list"], django_assert_num_queries)
    add_hospitals_with_assessments(cast, N, year=2026)

    with_2n = get_counting(client, "/api/v1/hospitals/", QUERIES["list"], django_assert_num_queries)

    expected_base = 2 if who == "qc_admin" else 1  # the cast's own hospitals it can see
    assert (with_n, with_2n) == (expected_base + N, expected_base + 2 * N)


def test_assignment_list_costs_the_same_with_n_and_2n_assignments(cast: Cast, django_assert_num_queries) -> None:
    client = cast.client("qc_admin")
    add_hospitals_with_assessments(cast, N, year=2026)
    with_n = get_counting(client, "/api/v1/assignments/", QUERIES["list"], django_assert_num_queries)
    add_hospitals_with_assessments(cast, N, year=2026)

    with_2n = get_counting(client, "/api/v1/assignments/", QUERIES["list"], django_assert_num_queries)

    assert (with_n, with_2n) == (1 + N, 1 + 2 * N)


def test_an_empty_list_skips_reading_a_page(cast: Cast, django_assert_num_queries) -> None:
    add_hospitals_with_assessments(cast, N, year=2026)
    client = cast.client("inspector_unassigned")

    for url in ("/api/v1/assessments/", "/api/v1/hospitals/"):
        assert get_counting(client, url, QUERIES["empty-list"], django_assert_num_queries) == 0


def test_a_department_assignment_list_needs_no_query_beyond_authentication(
    cast: Cast, django_assert_num_queries
) -> None:
    # Departments see no assignments: the empty queryset is known without asking the database.
    add_hospitals_with_assessments(cast, N, year=2026)

    assert get_counting(cast.client("head_a"), "/api/v1/assignments/", AUTH, django_assert_num_queries) == 0
