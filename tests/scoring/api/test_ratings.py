"""Rating rules through PUT /api/v1/assessments/{id}/ratings/{criterion_code}/.

met earns the maximum, unmet earns 0, partial needs a score strictly between,
in half points. Scores travel as JSON strings (or exact JSON numbers) and never
as floats. A refused rating stores nothing; a locked assessment answers 409.
"""

import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Rating
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all


@pytest.fixture
def self_a(cast: Cast) -> Assessment:
    """A draft self-assessment of hospital A (key specialty), rated by head_a."""
    return AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)


@pytest.fixture
def head_a(cast: Cast) -> APIClient:
    return cast.client("head_a")


def url(assessment: Assessment, code: str) -> str:
    return f"/api/v1/assessments/{assessment.pk}/ratings/{code}/"


def put_raw(client: APIClient, assessment: Assessment, code: str, body: str):
    """PUT a JSON body exactly as written, so numbers reach the parser untouched."""
    return client.put(url(assessment, code), data=body, content_type="application/json")


# ------------------------------------------------------------------ scores --


def test_met_earns_the_criterion_maximum(head_a: APIClient, self_a: Assessment) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "met"})

    assert response.status_code == 200
    assert response.data["criterion"] == "1.1-1-1"
    assert response.data["rating"] == "met"
    assert response.data["score"] == "15"
    assert response.data["rated_by"] == "head_a"
    assert Rating.objects.get(assessment=self_a).score == Decimal("15")


def test_met_accepts_the_maximum_given_explicitly(head_a: APIClient, self_a: Assessment) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "met", "score": "15.0"})

    assert response.status_code == 200
    assert response.data["score"] == "15"


def test_unmet_earns_zero(head_a: APIClient, self_a: Assessment) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "unmet", "remark": "未独立建科"})

    assert response.status_code == 200
    assert (response.data["score"], response.data["weighted_score"]) == ("0", "0")
    assert response.data["remark"] == "未独立建科"


def test_partial_with_a_score_between_zero_and_the_maximum_is_stored(head_a: APIClient, self_a: Assessment) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "partial", "score": "7.5"})

    assert response.status_code == 200
    assert response.data["score"] == "7.5"
    assert Rating.objects.get(assessment=self_a).score == Decimal("7.5")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"rating": "partial"}, id="partial-without-score"),
        pytest.param({"rating": "partial", "score": None}, id="partial-with-null-score"),
        pytest.param({"rating": "partial", "score": "0"}, id="partial-at-zero"),
        pytest.param({"rating": "partial", "score": "15"}, id="partial-at-the-maximum"),
        pytest.param({"rating": "partial", "score": "16"}, id="partial-above-the-maximum"),
        pytest.param({"rating": "partial", "score": "-1"}, id="partial-negative"),
        pytest.param({"rating": "met", "score": "10"}, id="met-contradicted-by-score"),
        pytest.param({"rating": "unmet", "score": "1"}, id="unmet-contradicted-by-score"),
        pytest.param({"rating": "partial", "score": "7.25"}, id="quarter-point"),
        pytest.param({"rating": "partial", "score": "abc"}, id="not-a-number"),
        pytest.param({"rating": "partial", "score": "NaN"}, id="nan"),
        pytest.param({"rating": "partial", "score": "Infinity"}, id="infinity"),
        pytest.param({"rating": "partial", "score": True}, id="boolean"),
    ],
)
def test_a_score_the_rating_does_not_allow_answers_400_naming_score(
    head_a: APIClient, self_a: Assessment, body: dict
) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), body)

    assert response.status_code == 400
    assert "score" in response.data
    assert not Rating.objects.exists()


@pytest.mark.parametrize("body", [{"rating": "good"}, {"rating": ""}, {"score": "7.5"}, {}])
def test_a_missing_or_unknown_rating_answers_400_naming_rating(head_a: APIClient, self_a: Assessment, body) -> None:
    response = head_a.put(url(self_a, "1.1-1-1"), body)

    assert response.status_code == 400
    assert "rating" in response.data
    assert not Rating.objects.exists()


def test_a_json_number_score_is_read_exactly(head_a: APIClient, self_a: Assessment) -> None:
    response = put_raw(head_a, self_a, "1.1-1-1", '{"rating": "partial", "score": 7.5}')

    assert response.status_code == 200
    assert response.data["score"] == "7.5"
    assert Rating.objects.get(assessment=self_a).score == Decimal("7.5")


def test_a_json_integer_score_is_accepted(head_a: APIClient, self_a: Assessment) -> None:
    response = put_raw(head_a, self_a, "1.1-1-1", '{"rating": "partial", "score": 7}')

    assert response.status_code == 200
    assert response.data["score"] == "7"


@pytest.mark.parametrize("number", ["7.3", "7.49999999999999999", "7.50000000000000001"])
def test_a_json_number_off_the_half_point_grid_is_refused(head_a: APIClient, self_a: Assessment, number: str) -> None:
    # 7.49999999999999999 is 7.5 as a float: it must be refused, not rounded.
    response = put_raw(head_a, self_a, "1.1-1-1", f'{{"rating": "partial", "score": {number}}}')

    assert response.status_code == 400
    assert "score" in response.data
    assert not Rating.objects.exists()


def test_a_json_number_in_exponent_form_is_read_exactly(head_a: APIClient, self_a: Assessment) -> None:
    response = put_raw(head_a, self_a, "1.1-1-1", '{"rating": "partial", "score": 75e-1}')

    assert response.status_code == 200
    assert response.data["score"] == "7.5"


def test_malformed_json_answers_400_and_stores_nothing(head_a: APIClient, self_a: Assessment) -> None:
    response = put_raw(head_a, self_a, "1.1-1-1", '{"rating": "met",')

    assert response.status_code == 400
    assert not Rating.objects.exists()


# ------------------------------------------------------- weights, criteria --


def test_weighted_score_applies_the_key_specialty_weight(head_a: APIClient, self_a: Assessment) -> None:
    # 3.1-3 counts 0.7 of its score in a key-specialty department: 7.5 × 0.7.
    response = head_a.put(url(self_a, "3.1-3"), {"rating": "partial", "score": "7.5"})

    assert response.status_code == 200
    assert (response.data["score"], response.data["weighted_score"]) == ("7.5", "5.25")


def test_weighted_score_is_the_score_in_a_general_department(cast: Cast) -> None:
    self_b = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)

    response = cast.client("head_b").put(url(self_b, "3.1-3"), {"rating": "partial", "score": "7.5"})

    assert response.status_code == 200
    assert (response.data["score"], response.data["weighted_score"]) == ("7.5", "7.5")


def test_ratings_list_shows_stored_ratings_with_weighted_scores_in_standard_order(
    head_a: APIClient, self_a: Assessment
) -> None:
    for code, body in [("3.1-3", {"rating": "partial", "score": "7.5"}), ("1.1-1-1", {"rating": "met"})]:
        assert head_a.put(url(self_a, code), body).status_code == 200

    response = head_a.get(f"/api/v1/assessments/{self_a.pk}/ratings/")

    assert response.status_code == 200
    assert [(r["criterion"], r["rating"], r["score"], r["weighted_score"]) for r in response.data] == [
        ("1.1-1-1", "met", "15", "15"),
        ("3.1-3", "partial", "7.5", "5.25"),
    ]


def test_a_key_specialty_criterion_is_refused_for_a_general_department(cast: Cast) -> None:
    self_b = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)

    response = cast.client("head_b").put(url(self_b, "3.2-1-1"), {"rating": "met"})

    assert response.status_code == 400
    assert "criterion" in response.data
    assert not Rating.objects.exists()


def test_a_key_specialty_criterion_is_rated_in_a_key_specialty_department(
    head_a: APIClient, self_a: Assessment
) -> None:
    response = head_a.put(url(self_a, "3.2-1-1"), {"rating": "met"})

    assert response.status_code == 200
    assert (response.data["score"], response.data["weighted_score"]) == ("15", "15")


@pytest.mark.parametrize("code", ["9.9-9-9", "1.1-1", "3.1-3-1", "1.1-1-1x"])
def test_an_unknown_criterion_code_answers_404(head_a: APIClient, self_a: Assessment, code: str) -> None:
    response = head_a.put(url(self_a, code), {"rating": "met"})

    assert response.status_code == 404
    assert not Rating.objects.exists()


# ------------------------------------------------------ updates, nothing lost --


def test_rating_again_replaces_the_rating_in_place(head_a: APIClient, self_a: Assessment) -> None:
    head_a.put(url(self_a, "1.1-1-1"), {"rating": "met"})

    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "partial", "score": "10"})

    assert response.status_code == 200
    assert Rating.objects.filter(assessment=self_a).count() == 1
    assert Rating.objects.get(assessment=self_a).score == Decimal("10")


def test_an_invalid_update_leaves_the_stored_rating_as_it_was(head_a: APIClient, self_a: Assessment) -> None:
    head_a.put(url(self_a, "1.1-1-1"), {"rating": "partial", "score": "7.5", "remark": "初评"})
    rows_before = Rating.objects.count()
    events_before = AuditEvent.objects.count()

    response = head_a.put(url(self_a, "1.1-1-1"), {"rating": "partial", "score": "7.3", "remark": "改"})

    assert response.status_code == 400
    assert Rating.objects.count() == rows_before
    stored = Rating.objects.get(assessment=self_a)
    assert (stored.rating, stored.score, stored.remark) == ("partial", Decimal("7.5"), "初评")
    assert AuditEvent.objects.changes().count() == events_before  # refusals are recorded, as access.conflict


def test_every_stored_rating_writes_one_audit_event_with_before_and_after(
    cast: Cast, head_a: APIClient, self_a: Assessment
) -> None:
    head_a.put(url(self_a, "1.1-1-1"), {"rating": "met"})
    head_a.put(url(self_a, "1.1-1-1"), {"rating": "partial", "score": "7.5", "remark": "材料不全"})
    head_a.put(url(self_a, "1.1-1-2"), {"rating": "unmet"})

    events = list(AuditEvent.objects.filter(action="rating.set").order_by("id"))

    assert len(events) == 3
    assert all(e.actor == cast.head_a for e in events)
    first, second, third = events
    assert (first.before, first.after) == (None, {"rating": "met", "score": "15", "remark": ""})
    assert (second.before, second.after) == (
        {"rating": "met", "score": "15", "remark": ""},
        {"rating": "partial", "score": "7.5", "remark": "材料不全"},
    )
    assert first.object_id == second.object_id != third.object_id
    assert third.after == {"rating": "unmet", "score": "0", "remark": ""}


# ------------------------------------------------------------- locked: 409 --


@pytest.mark.parametrize("status", [AssessmentStatus.SUBMITTED, AssessmentStatus.FINALIZED])
def test_rating_a_submitted_or_finalized_assessment_answers_409_and_changes_nothing(cast: Cast, status: str) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    inspector = cast.client("inspector")
    assert inspector.put(url(inspection, "1.1-1-1"), {"rating": "met"}).status_code == 200
    assert inspector.post(f"/api/v1/assessments/{inspection.pk}/submit/").status_code == 200
    if status == AssessmentStatus.FINALIZED:
        rate_all(inspection)  # unrated criteria would block finalization
        assert inspector.post(f"/api/v1/assessments/{inspection.pk}/finalize/").status_code == 200
    events_before = AuditEvent.objects.changes().count()
    ratings_before = list(
        Rating.objects.filter(assessment=inspection).values_list("criterion__code", "rating", "score")
    )

    updated = inspector.put(url(inspection, "1.1-1-1"), {"rating": "unmet"})
    added = inspector.put(url(inspection, "1.1-1-2"), {"rating": "met"})

    assert (updated.status_code, added.status_code) == (409, 409)
    assert updated.json()["code"] == "assessment_locked"
    assert updated.json()["status"] == status
    assert ("1.1-1-1", "met", Decimal("15")) in ratings_before
    assert (
        list(Rating.objects.filter(assessment=inspection).values_list("criterion__code", "rating", "score"))
        == ratings_before
    )
    assert AuditEvent.objects.changes().count() == events_before  # refusals are recorded, as access.conflict


def test_an_unknown_criterion_on_a_locked_assessment_still_answers_404(head_a: APIClient, self_a: Assessment) -> None:
    Assessment.objects.filter(pk=self_a.pk).update(status=AssessmentStatus.SUBMITTED)

    response = head_a.put(url(self_a, "9.9-9-9"), {"rating": "met"})

    assert response.status_code == 404


def test_the_rating_response_is_plain_json_with_decimal_strings(head_a: APIClient, self_a: Assessment) -> None:
    response = head_a.put(url(self_a, "3.1-3"), {"rating": "partial", "score": "7.5"})

    body = json.loads(response.content)
    assert body["score"] == "7.5"
    assert body["weighted_score"] == "5.25"
    assert set(body) == {"criterion", "rating", "score", "weighted_score", "remark", "rated_by", "rated_at", "version"}
