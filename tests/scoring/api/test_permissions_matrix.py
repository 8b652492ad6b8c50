"""Every API endpoint × every member of the cast × hospital A or B, through the real URLs.

Read EXPECTED as the permission contract: one row per endpoint, one column per cast
member (the order of CAST), one line per target hospital. `-` marks an endpoint
that is not about a hospital.

Rules the table encodes:
- anonymous API calls answer 401, before anything else is looked at;
- an object of a hospital the caller cannot see answers 404 (a hospital id in a
  request body answers 400 on `hospital`: no existence leak either way);
- a visible object the caller's role may not act on answers 403;
- no endpoint deletes or edits an assessment or a hospital (405).

Decided here: /healthz, /api/schema/ and /api/docs/ are public. The health check
is for load balancers; the schema describes the shape of the API, never its data
(drf-spectacular serves it with AllowAny), so anonymous visitors get 200 too.
The token endpoint needs no prior authentication: it answers 200 with the right
password and 400 (naming nothing but non_field_errors) with a wrong one.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.response import Response

from accounts.models import Hospital, InspectorAssignment, Role
from audit.models import AuditEvent
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Rating
from tests.conftest import CAST, Cast
from tests.factories import PASSWORD, AssessmentFactory, AssignmentFactory, HospitalFactory, UserFactory, rate_all

A, B, NONE = "A", "B", "-"

# Columns:   qc_admin, inspector, inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED: dict[str, dict[str, tuple[int, int, int, int, int, int, int]]] = {
    # Public endpoints.
    "healthz": {NONE: (200, 200, 200, 200, 200, 200, 200)},
    "schema": {NONE: (200, 200, 200, 200, 200, 200, 200)},
    "docs": {NONE: (200, 200, 200, 200, 200, 200, 200)},
    # Own username and password → a token; anonymous tries a wrong password.
    "token": {NONE: (200, 200, 200, 200, 200, 200, 400)},
    # Standards: reference data for every signed-in user; only qc_admin flips a veto flag.
    "standard-list": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "standard-detail": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "criterion-detail": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "criterion-veto": {NONE: (200, 403, 403, 403, 403, 403, 401)},
    # Hospitals.
    "hospital-list": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "hospital-create": {NONE: (201, 403, 403, 403, 403, 403, 401)},
    "hospital-detail": {
        A: (200, 200, 404, 200, 200, 404, 401),
        B: (200, 404, 404, 404, 404, 200, 401),
    },
    "hospital-update": {
        A: (405, 405, 405, 405, 405, 405, 401),
        B: (405, 405, 405, 405, 405, 405, 401),
    },
    # Users: a department head of A or of B, created by the QC centre only.
    "user-create": {
        A: (201, 403, 403, 403, 403, 403, 401),
        B: (201, 403, 403, 403, 403, 403, 401),
    },
    # Assignments: the inspector of A sees (but may not delete) their own.
    "assignment-list": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "assignment-create": {
        A: (201, 403, 403, 403, 403, 403, 401),
        B: (201, 403, 403, 403, 403, 403, 401),
    },
    "assignment-delete": {
        A: (204, 403, 404, 404, 404, 404, 401),
        B: (204, 404, 404, 404, 404, 404, 401),
    },
    # Assessments. An invisible hospital in the body is 400 on `hospital`, even for
    # staff (who may never create): visibility is checked before the role.
    "assessment-list": {NONE: (200, 200, 200, 200, 200, 200, 401)},
    "assessment-create-self": {
        A: (201, 403, 400, 201, 403, 400, 401),
        B: (201, 400, 400, 400, 400, 201, 401),
    },
    "assessment-create-inspection": {
        A: (201, 201, 400, 403, 403, 400, 401),
        B: (201, 400, 400, 400, 400, 403, 401),
    },
    "assessment-detail": {
        A: (200, 200, 404, 200, 200, 404, 401),
        B: (200, 404, 404, 404, 404, 200, 401),
    },
    "assessment-delete": {
        A: (405, 405, 405, 405, 405, 405, 401),
        B: (405, 405, 405, 405, 405, 405, 401),
    },
    "assessment-ratings": {
        A: (200, 200, 404, 200, 200, 404, 401),
        B: (200, 404, 404, 404, 404, 200, 401),
    },
    "assessment-result": {
        A: (200, 200, 404, 200, 200, 404, 401),
        B: (200, 404, 404, 404, 404, 200, 401),
    },
    # Self-assessments are rated by the department; inspections by the QC side.
    "rate-self": {
        A: (403, 403, 404, 200, 200, 404, 401),
        B: (403, 404, 404, 404, 404, 200, 401),
    },
    "rate-inspection": {
        A: (200, 200, 404, 404, 404, 404, 401),
        B: (200, 404, 404, 404, 404, 404, 401),
    },
    # Only the head submits a self-assessment; the QC side submits inspections.
    "submit-self": {
        A: (403, 403, 404, 200, 403, 404, 401),
        B: (403, 404, 404, 404, 404, 200, 401),
    },
    "submit-inspection": {
        A: (200, 200, 404, 404, 404, 404, 401),
        B: (200, 404, 404, 404, 404, 404, 401),
    },
    # Only the QC side finalizes (a submitted assessment) of either kind. A department does not see its
    # inspection before it is finalized: 404 on every inspection row here (issue 12).
    "finalize-self": {
        A: (200, 200, 404, 403, 403, 404, 401),
        B: (200, 404, 404, 404, 404, 403, 401),
    },
    "finalize-inspection": {
        A: (200, 200, 404, 404, 404, 404, 401),
        B: (200, 404, 404, 404, 404, 404, 401),
    },
}


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


Call = Callable[[World, str, str], Response]
ENDPOINTS: dict[str, Call] = {}


def endpoint(name: str) -> Callable[[Call], Call]:
    def register(fn: Call) -> Call:
        ENDPOINTS[name] = fn
        return fn

    return register


def _submitted(assessment: Assessment) -> Assessment:
    rate_all(assessment)  # unrated criteria would block finalization
    Assessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.SUBMITTED)
    return assessment


@endpoint("healthz")
def _healthz(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/healthz")


@endpoint("schema")
def _schema(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/schema/")


@endpoint("docs")
def _docs(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/docs/")


@endpoint("token")
def _token(w: World, who: str, target: str) -> Response:
    credentials = (
        {"username": who, "password": PASSWORD} if who != "anonymous" else {"username": "head_a", "password": "wrong"}
    )
    return w.cast.client(who).post("/api/v1/auth/token/", credentials)


@endpoint("standard-list")
def _standard_list(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/standards/")


@endpoint("standard-detail")
def _standard_detail(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/standards/cq2011/")


@endpoint("criterion-detail")
def _criterion_detail(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/standards/cq2011/criteria/1.2-1-2/")


@endpoint("criterion-veto")
def _criterion_veto(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).patch(
        "/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": True, "reason": "专家组决议"}
    )


@endpoint("hospital-list")
def _hospital_list(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/hospitals/")


@endpoint("hospital-create")
def _hospital_create(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).post("/api/v1/hospitals/", {"name": "丙医院", "level": "3B", "district": "沙坪坝区"})


@endpoint("hospital-detail")
def _hospital_detail(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get(f"/api/v1/hospitals/{w.hospital(target).pk}/")


@endpoint("hospital-update")
def _hospital_update(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).patch(f"/api/v1/hospitals/{w.hospital(target).pk}/", {"level": "2B"})


@endpoint("user-create")
def _user_create(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).post(
        "/api/v1/users/",
        {
            "username": "new_head",
            "password": "a-long-unusual-passphrase-42",
            "role": Role.DEPARTMENT_HEAD,
            "hospital": w.hospital(target).pk,
        },
    )


@endpoint("assignment-list")
def _assignment_list(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/assignments/")


@endpoint("assignment-create")
def _assignment_create(w: World, who: str, target: str) -> Response:
    newcomer = UserFactory(username="inspector_new", role=Role.INSPECTOR, hospital=None)
    return w.cast.client(who).post(
        "/api/v1/assignments/", {"inspector": newcomer.pk, "hospital": w.hospital(target).pk}
    )


@endpoint("assignment-delete")
def _assignment_delete(w: World, who: str, target: str) -> Response:
    if target == A:
        assignment = InspectorAssignment.objects.get(inspector=w.cast.inspector, hospital=w.cast.hospital_a)
    else:
        # Another inspector's assignment, so the cast's inspector has nothing of B.
        assignment = AssignmentFactory(hospital=w.cast.hospital_b)
    return w.cast.client(who).delete(f"/api/v1/assignments/{assignment.pk}/")


@endpoint("assessment-list")
def _assessment_list(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get("/api/v1/assessments/")


def _create(w: World, who: str, target: str, kind: str) -> Response:
    return w.cast.client(who).post(
        "/api/v1/assessments/",
        {"hospital": w.hospital(target).pk, "standard": "cq2011", "kind": kind, "year": 2027},
    )


@endpoint("assessment-create-self")
def _create_self(w: World, who: str, target: str) -> Response:
    return _create(w, who, target, AssessmentKind.SELF)


@endpoint("assessment-create-inspection")
def _create_inspection(w: World, who: str, target: str) -> Response:
    return _create(w, who, target, AssessmentKind.INSPECTION)


@endpoint("assessment-detail")
def _assessment_detail(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get(f"/api/v1/assessments/{w.assessment(target, AssessmentKind.SELF).pk}/")


@endpoint("assessment-delete")
def _assessment_delete(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).delete(f"/api/v1/assessments/{w.assessment(target, AssessmentKind.SELF).pk}/")


@endpoint("assessment-ratings")
def _assessment_ratings(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get(f"/api/v1/assessments/{w.assessment(target, AssessmentKind.SELF).pk}/ratings/")


@endpoint("assessment-result")
def _assessment_result(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).get(f"/api/v1/assessments/{w.assessment(target, AssessmentKind.SELF).pk}/result/")


def _rate(w: World, who: str, target: str, kind: str) -> Response:
    assessment = w.assessment(target, kind)
    return w.cast.client(who).put(f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-1/", {"rating": "met"})


@endpoint("rate-self")
def _rate_self(w: World, who: str, target: str) -> Response:
    return _rate(w, who, target, AssessmentKind.SELF)


@endpoint("rate-inspection")
def _rate_inspection(w: World, who: str, target: str) -> Response:
    return _rate(w, who, target, AssessmentKind.INSPECTION)


@endpoint("submit-self")
def _submit_self(w: World, who: str, target: str) -> Response:
    return w.cast.client(who).post(f"/api/v1/assessments/{w.assessment(target, AssessmentKind.SELF).pk}/submit/")


@endpoint("submit-inspection")
def _submit_inspection(w: World, who: str, target: str) -> Response:
    assessment = w.assessment(target, AssessmentKind.INSPECTION)
    return w.cast.client(who).post(f"/api/v1/assessments/{assessment.pk}/submit/")


@endpoint("finalize-self")
def _finalize_self(w: World, who: str, target: str) -> Response:
    assessment = _submitted(w.assessment(target, AssessmentKind.SELF))
    return w.cast.client(who).post(f"/api/v1/assessments/{assessment.pk}/finalize/")


@endpoint("finalize-inspection")
def _finalize_inspection(w: World, who: str, target: str) -> Response:
    assessment = _submitted(w.assessment(target, AssessmentKind.INSPECTION))
    return w.cast.client(who).post(f"/api/v1/assessments/{assessment.pk}/finalize/")


def _cases() -> list:
    return [
        pytest.param(name, target, who, codes[i], id=f"{name}-{target}-{who}")
        for name, targets in EXPECTED.items()
        for target, codes in targets.items()
        for i, who in enumerate(CAST)
    ]


def test_the_table_covers_every_endpoint_and_every_cast_member() -> None:
    assert set(EXPECTED) == set(ENDPOINTS)
    assert all(len(codes) == len(CAST) for targets in EXPECTED.values() for codes in targets.values())


@pytest.mark.parametrize(("name", "target", "who", "status"), _cases())
def test_status_code(world: World, name: str, target: str, who: str, status: int) -> None:
    events_before = AuditEvent.objects.changes().count()
    # Setup rates some assessments in bulk (no rater); requests always record who rated.
    ratings_before = Rating.objects.exclude(rated_by=None).count()

    response = ENDPOINTS[name](world, who, target)

    assert response.status_code == status, getattr(response, "data", response.content[:300])
    if status >= 400:
        # A refused request changes nothing and leaves no change in the audit trail (only the refusal itself).
        assert AuditEvent.objects.changes().count() == events_before
        assert Rating.objects.exclude(rated_by=None).count() == ratings_before
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Token")


# ---------------------------------------------------------------- list leaks --

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
        criterion = assessment.standard.criteria.get(code="1.1-1-1")
        Rating.objects.create(assessment=assessment, criterion=criterion, rating="met", score=criterion.max_points)
    target = sorted(VISIBLE_HOSPITALS[who])[0] if VISIBLE_HOSPITALS[who] else A
    assessment = world.assessment(target, AssessmentKind.SELF)

    response = world.cast.client(who).get(f"/api/v1/assessments/{assessment.pk}/ratings/")

    if target not in VISIBLE_HOSPITALS[who]:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert [r["criterion"] for r in response.data] == ["1.1-1-1"]
        assert Rating.objects.filter(assessment=assessment).count() == 1


# ------------------------------------------------------- veto flag, audited --


def test_qc_admin_setting_a_veto_flag_is_audited_with_the_reason(world: World) -> None:
    response = world.cast.client("qc_admin").patch(
        "/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": True, "reason": "专家组决议"}
    )

    assert response.status_code == 200
    assert response.data["veto"] is True
    event = AuditEvent.objects.get(action="criterion.veto")
    assert (event.before, event.after, event.reason) == ({"veto": False}, {"veto": True}, "专家组决议")
    assert event.actor == world.cast.qc_admin


def test_setting_a_veto_flag_to_its_current_value_records_nothing(world: World) -> None:
    response = world.cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": False})

    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="criterion.veto").exists()


def test_veto_patch_of_an_unknown_criterion_answers_404_to_qc_admin(world: World) -> None:
    response = world.cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/9.9-9/", {"veto": True})

    assert response.status_code == 404


def test_veto_patch_without_a_boolean_answers_400_naming_veto(world: World) -> None:
    response = world.cast.client("qc_admin").patch("/api/v1/standards/cq2011/criteria/1.2-1-2/", {"veto": "maybe"})

    assert response.status_code == 400
    assert "veto" in response.data
