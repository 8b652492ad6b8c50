"""What the API's lists show each member of the cast: exactly the rows of the hospitals they may see.

Whether each endpoint answers at all (200, 401, 403, 404, 405) is the permission contract of
tests/matrix/test_url_matrix.py; these tests look inside the answers, so a list or a filter never
shows a row of a hospital the caller cannot see.
"""

from dataclasses import dataclass

import pytest
from rest_framework.response import Response

from accounts.models import Hospital, InspectorAssignment
from scoring.models import Assessment, AssessmentKind, Rating
from tests.accounts.factories import AssignmentFactory, HospitalFactory
from tests.conftest import Cast
from tests.scoring.factories import AssessmentFactory, RatingFactory

A, B = "A", "B"


# A department sees its inspections only once finalized; the world's are drafts (issue 12).
DEPARTMENT = {"head_a", "staff_a", "head_b"}


@dataclass
class World:
    """The cast plus a draft self-assessment and a draft inspection of each hospital."""

    cast: Cast
    assessments: dict[tuple[str, str], Assessment]

    def hospital(self, target: str) -> Hospital:
        return self.cast.hospital_a if target == A else self.cast.hospital_b

    def assessment(self, target: str, kind: str) -> Assessment:
        return self.assessments[(target, kind)]


@pytest.fixture
def world(cast: Cast) -> World:
    assessments = {
        (target, kind): AssessmentFactory(hospital=hospital, kind=kind, year=2026)
        for target, hospital in ((A, cast.hospital_a), (B, cast.hospital_b))
        for kind in (AssessmentKind.SELF, AssessmentKind.INSPECTION)
    }
    return World(cast=cast, assessments=assessments)


VISIBLE_HOSPITALS: dict[str, set[str]] = {
    "qc_admin": {A, B},
    "inspector": {A},
    "inspector_unassigned": set(),
    "head_a": {A},
    "staff_a": {A},
    "head_b": {B},
}
SIGNED_IN = tuple(VISIBLE_HOSPITALS)


def _ids(response: Response) -> set[int]:
    assert response.status_code == 200, response.data
    return {row["id"] for row in response.data["results"]}


@pytest.mark.parametrize("who", SIGNED_IN)
def test_hospital_list_shows_exactly_the_visible_hospitals(world: World, who: str) -> None:
    unrelated = HospitalFactory(level="3A", district="渝中区")
    expected = {world.hospital(t).pk for t in VISIBLE_HOSPITALS[who]}
    if who == "qc_admin":
        expected.add(unrelated.pk)

    assert _ids(world.cast.client(who).get("/api/v1/hospitals/")) == expected


@pytest.mark.parametrize("who", SIGNED_IN)
@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ({"level": "3A"}, {A}),
        ({"level": "2A"}, {B}),
        ({"district": "渝中区"}, {A}),
        ({"district": "万州区"}, {B}),
        ({"key_specialty": "true"}, {A}),
    ],
)
def test_hospital_filters_never_widen_what_a_user_sees(
    world: World, who: str, query: dict[str, str], matches: set[str]
) -> None:
    expected = {world.hospital(t).pk for t in VISIBLE_HOSPITALS[who] & matches}

    assert _ids(world.cast.client(who).get("/api/v1/hospitals/", query)) == expected


@pytest.mark.parametrize("key", ["hospital", "id", "pk"])
def test_naming_a_foreign_hospital_in_the_hospital_list_query_shows_it_not(world: World, key: str) -> None:
    # Not filters of this list: ignored, so head_b still sees exactly B.
    response = world.cast.client("head_b").get("/api/v1/hospitals/", {key: world.cast.hospital_a.pk})

    assert _ids(response) == {world.cast.hospital_b.pk}


@pytest.mark.parametrize("who", SIGNED_IN)
def test_assessment_list_shows_exactly_the_assessments_of_visible_hospitals(world: World, who: str) -> None:
    expected = {
        a.pk
        for (target, kind), a in world.assessments.items()
        if target in VISIBLE_HOSPITALS[who] and (kind == "self" or who not in DEPARTMENT)
    }

    assert _ids(world.cast.client(who).get("/api/v1/assessments/")) == expected


@pytest.mark.parametrize("who", SIGNED_IN)
@pytest.mark.parametrize("target", [A, B])
@pytest.mark.parametrize("key", ["hospital", "level", "district"])
def test_assessment_filters_never_widen_what_a_user_sees(world: World, who: str, target: str, key: str) -> None:
    hospital = world.hospital(target)
    value = {"hospital": hospital.pk, "level": hospital.level, "district": hospital.district}[key]
    visible = target in VISIBLE_HOSPITALS[who]
    expected = (
        {
            a.pk
            for (t, kind), a in world.assessments.items()
            if t == target and (kind == "self" or who not in DEPARTMENT)
        }
        if visible
        else set()
    )

    assert _ids(world.cast.client(who).get("/api/v1/assessments/", {key: value})) == expected


def test_filtering_assessments_by_a_foreign_hospital_id_answers_like_a_missing_one(world: World) -> None:
    # Otherwise head_b could probe which hospital ids exist.
    client = world.cast.client("head_b")
    missing = Hospital.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    foreign = client.get("/api/v1/assessments/", {"hospital": world.cast.hospital_a.pk})
    absent = client.get("/api/v1/assessments/", {"hospital": missing})

    assert (foreign.status_code, foreign.json()) == (absent.status_code, absent.json())


@pytest.mark.parametrize("who", SIGNED_IN)
def test_assignment_list_shows_the_qc_centre_everything_and_an_inspector_their_own(world: World, who: str) -> None:
    other = AssignmentFactory(hospital=world.cast.hospital_b)
    own = InspectorAssignment.objects.get(inspector=world.cast.inspector)
    expected = {"qc_admin": {own.pk, other.pk}, "inspector": {own.pk}}.get(who, set())

    assert _ids(world.cast.client(who).get("/api/v1/assignments/")) == expected


@pytest.mark.parametrize("who", SIGNED_IN)
def test_ratings_list_of_a_visible_assessment_shows_only_its_own_ratings(world: World, who: str) -> None:
    for assessment in world.assessments.values():
        RatingFactory(assessment=assessment, criterion=assessment.standard.criteria.get(code="1.1-1-1"))
    target = sorted(VISIBLE_HOSPITALS[who])[0] if VISIBLE_HOSPITALS[who] else A
    assessment = world.assessment(target, AssessmentKind.SELF)

    response = world.cast.client(who).get(f"/api/v1/assessments/{assessment.pk}/ratings/")

    if target not in VISIBLE_HOSPITALS[who]:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert [r["criterion"] for r in response.data] == ["1.1-1-1"]
        assert Rating.objects.filter(assessment=assessment).count() == 1
