"""Two people save the same criterion: the later save is told, and shown the other's value."""

import pytest

from scoring.models import Rating
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def url(assessment_id: int, code: str = "1.1-1-2") -> str:
    return f"/api/v1/assessments/{assessment_id}/ratings/{code}/"


def test_a_save_over_a_newer_version_is_refused_with_the_other_value(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    head, staff = cast.client("head_a"), cast.client("staff_a")
    first = head.put(url(assessment.pk), {"rating": "met", "version": 0}, format="json")
    assert first.status_code == 200
    assert first.json()["version"] == 1
    # Staff loaded the page before the head saved, so they still think it is unrated.
    late = staff.put(url(assessment.pk), {"rating": "unmet", "version": 0}, format="json")
    assert late.status_code == 409
    body = late.json()
    assert body["code"] == "rating_conflict"
    assert body["current"] == {"rating": "met", "score": "20", "remark": "", "rated_by": "head_a", "version": 1}
    assert Rating.objects.get(assessment=assessment).rating == "met"
    # Having seen it, staff saves over version 1 deliberately.
    again = staff.put(url(assessment.pk), {"rating": "unmet", "version": 1}, format="json")
    assert again.status_code == 200
    assert again.json()["version"] == 2


def test_saves_without_a_version_keep_last_writer_wins_for_simple_clients(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    assert cast.client("head_a").put(url(assessment.pk), {"rating": "met"}, format="json").status_code == 200
    assert cast.client("staff_a").put(url(assessment.pk), {"rating": "unmet"}, format="json").json()["version"] == 2


def test_a_negative_version_is_refused_naming_the_field(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").put(url(assessment.pk), {"rating": "met", "version": -1}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()
