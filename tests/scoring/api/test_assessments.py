"""Assessments through the API: creation and its validation, submit → finalize, and the result."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating, Standard
from tests.conftest import Cast
from tests.factories import AssessmentFactory

ASSESSMENTS = "/api/v1/assessments/"


def body(cast: Cast, **overrides) -> dict:
    return {"hospital": cast.hospital_a.pk, "standard": "cq2011", "kind": "self", "year": 2026, **overrides}


def rate_all(assessment: Assessment, *, unmet: frozenset[str] = frozenset()) -> None:
    """Rate every applicable criterion met (or unmet for `unmet`), straight into the table."""
    criteria = Criterion.objects.filter(standard=assessment.standard)
    if not assessment.hospital.key_specialty:
        criteria = criteria.exclude(applies_to="key_specialty")
    Rating.objects.bulk_create(
        Rating(
            assessment=assessment,
            criterion=c,
            rating="unmet" if c.code in unmet else "met",
            score=Decimal(0) if c.code in unmet else c.max_points,
        )
        for c in criteria
    )


# ------------------------------------------------------------------ create --


def test_a_department_head_opens_a_draft_self_assessment(cast: Cast) -> None:
    response = cast.client("head_a").post(ASSESSMENTS, body(cast))

    assert response.status_code == 201
    data = response.data
    assert set(data) == {
        "id",
        "hospital",
        "hospital_name",
        "standard",
        "kind",
        "year",
        "status",
        "created_at",
        "submitted_at",
        "finalized_at",
    }
    assert (data["hospital"], data["hospital_name"], data["standard"], data["kind"], data["year"]) == (
        cast.hospital_a.pk,
        "甲医院",
        "cq2011",
        "self",
        2026,
    )
    assert (data["status"], data["submitted_at"], data["finalized_at"]) == ("draft", None, None)
    assessment = Assessment.objects.get(pk=data["id"])
    assert assessment.created_by == cast.head_a
    assert AuditEvent.objects.filter(action="assessment.create", object_id=str(assessment.pk)).count() == 1


def test_the_created_assessment_is_readable_at_its_url(cast: Cast) -> None:
    client = cast.client("inspector")
    created = client.post(ASSESSMENTS, body(cast, kind="inspection")).data

    response = client.get(f"{ASSESSMENTS}{created['id']}/")

    assert response.status_code == 200
    assert response.data == created


@pytest.mark.parametrize("change", [{}, {"hospital": "B"}, {"kind": "inspection"}, {"year": 2025}])
def test_a_second_assessment_of_the_same_hospital_standard_kind_and_year_is_refused_naming_a_field(
    cast: Cast, change: dict
) -> None:
    # Only the exact duplicate ({}) is refused; changing any one part makes a new assessment.
    client = cast.client("qc_admin")
    assert client.post(ASSESSMENTS, body(cast)).status_code == 201
    if change.get("hospital") == "B":
        change = {"hospital": cast.hospital_b.pk}

    response = client.post(ASSESSMENTS, body(cast, **change))

    if change:
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert set(response.data) & {"hospital", "standard", "kind", "year"}, response.data
        assert Assessment.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "audit"),
        ("kind", ""),
        ("kind", None),
        ("year", 1999),
        ("year", 2101),
        ("year", "next"),
        ("year", None),
        ("standard", "cq2099"),
        ("standard", ""),
        ("hospital", "abc"),
        ("hospital", None),
    ],
)
def test_a_bad_field_answers_400_naming_it_and_creates_nothing(cast: Cast, field: str, value) -> None:
    response = cast.client("qc_admin").post(ASSESSMENTS, body(cast, **{field: value}))

    assert response.status_code == 400
    assert field in response.data
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("field", ["hospital", "standard", "kind", "year"])
def test_a_missing_field_answers_400_naming_it(cast: Cast, field: str) -> None:
    data = body(cast)
    del data[field]

    response = cast.client("qc_admin").post(ASSESSMENTS, data)

    assert response.status_code == 400
    assert field in response.data


def test_a_hospital_that_does_not_exist_answers_like_a_foreign_one(cast: Cast) -> None:
    client = cast.client("head_b")

    foreign = client.post(ASSESSMENTS, body(cast, hospital=cast.hospital_a.pk))
    missing = client.post(ASSESSMENTS, body(cast, hospital=cast.hospital_a.pk + cast.hospital_b.pk + 1000))

    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.data) == list(missing.data) == ["hospital"]
    # Same words, apart from the id itself.
    assert str(foreign.data["hospital"][0]).replace(str(cast.hospital_a.pk), "#") == str(
        missing.data["hospital"][0]
    ).replace(str(cast.hospital_a.pk + cast.hospital_b.pk + 1000), "#")


def test_status_and_timestamps_in_the_body_are_ignored(cast: Cast) -> None:
    response = cast.client("head_a").post(
        ASSESSMENTS, body(cast, status="finalized", finalized_at="2026-01-01T00:00:00Z")
    )

    assert response.status_code == 201
    assert (response.data["status"], response.data["finalized_at"]) == ("draft", None)


# ------------------------------------------------------- submit / finalize --


def test_a_self_assessment_goes_draft_submitted_finalized(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    path = f"{ASSESSMENTS}{assessment.pk}"

    submitted = cast.client("head_a").post(f"{path}/submit/")
    finalized = cast.client("inspector").post(f"{path}/finalize/")

    assert submitted.status_code == 200
    assert submitted.data["status"] == "submitted"
    assert submitted.data["submitted_at"] is not None
    assert finalized.status_code == 200
    assert finalized.data["status"] == "finalized"
    assert finalized.data["finalized_at"] is not None
    assessment.refresh_from_db()
    assert (assessment.submitted_by, assessment.finalized_by) == (cast.head_a, cast.inspector)
    assert list(
        AuditEvent.objects.filter(object_id=str(assessment.pk), object_type="scoring.assessment")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["assessment.submit", "assessment.finalize"]


def test_an_inspection_is_submitted_by_the_inspector_and_finalized_by_the_qc_centre(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(assessment)

    assert cast.client("inspector").post(f"{ASSESSMENTS}{assessment.pk}/submit/").status_code == 200
    assert cast.client("qc_admin").post(f"{ASSESSMENTS}{assessment.pk}/finalize/").status_code == 200
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINALIZED


@pytest.mark.parametrize(
    ("status", "action", "who"),
    [
        (AssessmentStatus.SUBMITTED, "submit", "head_a"),
        (AssessmentStatus.FINALIZED, "submit", "head_a"),
        (AssessmentStatus.DRAFT, "finalize", "inspector"),
        (AssessmentStatus.FINALIZED, "finalize", "inspector"),
    ],
)
def test_submit_or_finalize_out_of_order_answers_409_and_changes_nothing(
    cast: Cast, status: str, action: str, who: str
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, status=status)

    response = cast.client(who).post(f"{ASSESSMENTS}{assessment.pk}/{action}/")

    assert response.status_code == 409
    assert response.json()["code"] == "assessment_locked"
    assert response.json()["status"] == status
    assessment.refresh_from_db()
    assert assessment.status == status
    assert (assessment.submitted_by, assessment.finalized_by) == (None, None)
    assert not AuditEvent.objects.changes().exists()  # the refusal itself is recorded (access.conflict)


def test_a_refused_role_gets_403_before_the_status_is_considered(cast: Cast) -> None:
    # staff_a may never submit: 403, not 409, even on an already submitted assessment.
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, status="submitted")

    assert cast.client("staff_a").post(f"{ASSESSMENTS}{assessment.pk}/submit/").status_code == 403
    assert cast.client("head_a").post(f"{ASSESSMENTS}{assessment.pk}/finalize/").status_code == 403


def test_a_finalized_assessment_still_reads_its_ratings_and_result(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    cast.client("qc_admin").post(f"{ASSESSMENTS}{assessment.pk}/finalize/")

    ratings = cast.client("head_a").get(f"{ASSESSMENTS}{assessment.pk}/ratings/")
    result = cast.client("head_a").get(f"{ASSESSMENTS}{assessment.pk}/result/")

    assert (ratings.status_code, result.status_code) == (200, 200)
    assert len(ratings.data) == 102
    assert result.data["total"] == "1000"


# ------------------------------------------------------------------ result --

RESULT_FIELDS = {
    "total",
    "max_total",
    "rated",
    "applicable",
    "chapters",
    "items",
    "veto_failed",
    "unrated",
    "level",
    "threshold",
    "outcome",
    "thresholds_met",
    "next_threshold",
}


def result_of(cast: Cast, assessment: Assessment, who: str = "head_a") -> dict:
    response = cast.client(who).get(f"{ASSESSMENTS}{assessment.pk}/result/")
    assert response.status_code == 200
    return response.json()


def test_a_complete_all_met_key_specialty_assessment_scores_1000_and_passes(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)

    result = result_of(cast, assessment)

    assert set(result) >= RESULT_FIELDS
    assert (result["total"], result["max_total"]) == ("1000", "1000")
    assert (result["rated"], result["applicable"]) == (102, 102)
    assert (result["level"], result["threshold"], result["outcome"]) == ("3A", "850", "pass")
    assert result["veto_failed"] == []
    assert result["unrated"] == []
    assert result["thresholds_met"] == ["3A", "3B", "2A", "2B"]
    assert result["next_threshold"] is None
    assert result["chapters"] == [
        {"number": 1, "title": "组织结构与功能", "score": "180", "max_points": "180"},
        {"number": 2, "title": "人员配备", "score": "150", "max_points": "150"},
        {"number": 3, "title": "诊疗技术", "score": "330", "max_points": "330"},
        {"number": 4, "title": "科室管理", "score": "220", "max_points": "220"},
        {"number": 5, "title": "教育与科研", "score": "120", "max_points": "120"},
    ]


def test_a_complete_all_met_general_department_also_scores_1000(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    rate_all(assessment)

    result = result_of(cast, assessment, who="head_b")

    assert (result["total"], result["max_total"], result["rated"], result["applicable"]) == ("1000", "1000", 92, 92)
    assert (result["level"], result["threshold"], result["outcome"]) == ("2A", "700", "pass")


def test_one_unmet_veto_item_fails_whatever_the_total(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment, unmet=frozenset({"1.1-1-1"}))

    result = result_of(cast, assessment)

    assert result["total"] == "985"
    assert result["thresholds_met"] == ["3A", "3B", "2A", "2B"]
    assert result["outcome"] == "fail"
    assert result["veto_failed"] == ["1.1-1-1"]
    assert result["chapters"][0] == {"number": 1, "title": "组织结构与功能", "score": "165", "max_points": "180"}


def test_an_unmet_ordinary_item_lowers_the_total_but_still_passes(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment, unmet=frozenset({"1.1-1-2", "3.1-3"}))  # 20 + 15 × 0.7

    result = result_of(cast, assessment)

    assert (result["total"], result["outcome"], result["veto_failed"]) == ("969.5", "pass", [])


def test_an_unrated_assessment_is_incomplete_with_every_criterion_unrated(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)

    result = result_of(cast, assessment)

    assert (result["total"], result["max_total"], result["rated"], result["applicable"]) == ("0", "1000", 0, 102)
    assert result["outcome"] == "incomplete"
    assert len(result["unrated"]) == 102
    assert result["next_threshold"] == {"level": "2B", "points": "600", "gap": "600"}
    assert [c["score"] for c in result["chapters"]] == ["0"] * 5


def test_the_result_follows_ratings_put_through_the_api(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    client = cast.client("staff_a")
    client.put(f"{ASSESSMENTS}{assessment.pk}/ratings/3.1-3/", {"rating": "partial", "score": "7.5"})
    client.put(f"{ASSESSMENTS}{assessment.pk}/ratings/1.1-1-1/", {"rating": "unmet"})

    result = result_of(cast, assessment)

    assert (result["total"], result["rated"], result["outcome"]) == ("5.25", 2, "incomplete")
    assert result["veto_failed"] == ["1.1-1-1"]
    assert result["chapters"][2]["score"] == "5.25"


@pytest.mark.parametrize("score", ["1e999999999", "1e-999999999", "NaN", "Infinity", "²", "7.5E0"])
def test_a_score_that_is_no_plain_number_answers_400_and_stores_nothing(cast: Cast, score: object) -> None:
    # Before: an exponent this large overflowed the engine, this small the database column (500 both).
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").put(
        f"{ASSESSMENTS}{assessment.pk}/ratings/3.1-3/", {"rating": "partial", "score": score}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["score"]
    assert not Rating.objects.exists()


@pytest.mark.parametrize(("score", "stored"), [("7.5", "7.5"), ("７.５", "7.5"), (7, "7"), ("7.50", "7.5")])
def test_a_score_in_plain_notation_is_read_exactly(cast: Cast, score: object, stored: str) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").put(
        f"{ASSESSMENTS}{assessment.pk}/ratings/3.1-3/", {"rating": "partial", "score": score}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Rating.objects.get().score == Decimal(stored)


def test_a_veto_flag_set_by_the_qc_centre_counts_in_results_at_once(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment, unmet=frozenset({"1.2-1-2"}))
    assert result_of(cast, assessment)["outcome"] == "pass"

    patched = cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": True})

    assert patched.status_code == 200
    result = result_of(cast, assessment)
    assert (result["outcome"], result["veto_failed"]) == ("fail", ["1.2-1-2"])


def test_the_standard_used_is_the_one_named_by_code(cast: Cast) -> None:
    response = cast.client("qc_admin").post(ASSESSMENTS, body(cast))

    assert Assessment.objects.get(pk=response.data["id"]).standard == Standard.objects.get(code="cq2011")
