"""User-facing text is Simplified Chinese by default, with English available through i18n."""

import pytest

from scoring.models import Criterion
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def put_contradiction(cast: Cast, **headers: str) -> dict:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/{criterion.code}/",
        {"rating": "met", "score": "3"},
        format="json",
        **headers,
    )
    assert response.status_code == 400
    return response.json()


def test_api_errors_are_chinese_by_default(cast: Cast) -> None:
    assert put_contradiction(cast) == {"score": ["评定为达标时得分应为满分 15。"]}


def test_api_errors_are_english_on_request(cast: Cast) -> None:
    assert put_contradiction(cast, HTTP_ACCEPT_LANGUAGE="en") == {
        "score": ["A “met” rating must score the full 15 points."]
    }


def test_home_page_is_available_in_english(client) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'lang="en"' in response.content.decode()
