"""Hospitals and users through the API: the QC centre registers them, and new users act in their role."""

import pytest
from rest_framework.test import APIClient

from accounts.models import Hospital, InspectorAssignment, Role, User
from audit.models import AuditEvent
from tests.conftest import Cast

HOSPITALS = "/api/v1/hospitals/"
USERS = "/api/v1/users/"
STRONG = "a-long-unusual-passphrase-42"


@pytest.fixture
def admin(cast: Cast) -> APIClient:
    return cast.client("qc_admin")


def token_client(username: str, password: str) -> APIClient:
    """Sign in through the token endpoint, as a real client would."""
    client = APIClient()
    response = client.post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.data
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.data['token']}")
    return client


# --------------------------------------------------------------- hospitals --


def test_the_qc_centre_registers_a_hospital(admin: APIClient, cast: Cast) -> None:
    response = admin.post(
        HOSPITALS,
        {"name": " 丙医院 ", "level": "3B", "key_specialty": True, "teaching": False, "district": "沙坪坝区"},
    )

    assert response.status_code == 201
    assert response.data == {
        "id": response.data["id"],
        "name": "丙医院",
        "level": "3B",
        "key_specialty": True,
        "teaching": False,
        "district": "沙坪坝区",
    }
    hospital = Hospital.objects.get(pk=response.data["id"])
    event = AuditEvent.objects.get(action="hospital.create")
    assert (event.actor, event.object_id) == (cast.qc_admin, str(hospital.pk))
    assert admin.get(f"{HOSPITALS}{hospital.pk}/").data["name"] == "丙医院"


def test_a_hospital_needs_only_a_name_and_a_level(admin: APIClient) -> None:
    response = admin.post(HOSPITALS, {"name": "丁医院", "level": "2B"})

    assert response.status_code == 201
    assert (response.data["key_specialty"], response.data["teaching"], response.data["district"]) == (False, False, "")


@pytest.mark.parametrize("level", ["4A", "3a", "", None])
def test_a_bad_level_answers_400_naming_level(admin: APIClient, level) -> None:
    response = admin.post(HOSPITALS, {"name": "丙医院", "level": level})

    assert response.status_code == 400
    assert "level" in response.data
    assert not Hospital.objects.filter(name="丙医院").exists()


@pytest.mark.parametrize("name", ["甲医院", " 甲医院 "])
def test_a_duplicate_name_answers_400_naming_name(admin: APIClient, name: str) -> None:
    response = admin.post(HOSPITALS, {"name": name, "level": "3A"})

    assert response.status_code == 400
    assert "name" in response.data
    assert Hospital.objects.filter(name="甲医院").count() == 1


@pytest.mark.parametrize("name", ["", "   ", None, "医" * 201])
def test_a_blank_or_overlong_name_answers_400_naming_name(admin: APIClient, name) -> None:
    response = admin.post(HOSPITALS, {"name": name, "level": "3A"})

    assert response.status_code == 400
    assert "name" in response.data
    assert Hospital.objects.count() == 2


def test_a_refused_hospital_leaves_no_audit_event(admin: APIClient) -> None:
    admin.post(HOSPITALS, {"name": "甲医院", "level": "3A"})

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"level": "3A"}, ["甲医院"]),
        ({"level": "2A"}, ["乙医院"]),
        ({"district": "万州区"}, ["乙医院"]),
        ({"level": "3A", "district": "万州区"}, []),
        ({}, ["甲医院", "乙医院"]),
    ],
)
def test_hospital_list_filters_by_level_and_district(admin: APIClient, query: dict, expected: list[str]) -> None:
    response = admin.get(HOSPITALS, query)

    assert response.status_code == 200
    # As a set: the order of Chinese names depends on the database's collation.
    assert {h["name"] for h in response.data["results"]} == set(expected)
    assert response.data["count"] == len(expected)


def test_an_unknown_level_filter_answers_400_naming_level(admin: APIClient) -> None:
    response = admin.get(HOSPITALS, {"level": "9Z"})

    assert response.status_code == 400
    assert "level" in response.data


# ------------------------------------------------------------------- users --


def user_body(**overrides) -> dict:
    return {"username": "new_user", "password": STRONG, "role": Role.DEPARTMENT_HEAD, **overrides}


def test_the_qc_centre_creates_a_department_head_without_echoing_the_password(admin: APIClient, cast: Cast) -> None:
    response = admin.post(USERS, user_body(hospital=cast.hospital_a.pk, full_name="张主任"))

    assert response.status_code == 201
    assert response.data == {
        "id": response.data["id"],
        "username": "new_user",
        "role": "department_head",
        "hospital": cast.hospital_a.pk,
        "full_name": "张主任",
    }
    assert STRONG not in response.content.decode()
    user = User.objects.get(username="new_user")
    assert user.check_password(STRONG)
    assert not user.is_staff
    event = AuditEvent.objects.get(action="user.create")
    assert STRONG not in str(event.after)


@pytest.mark.parametrize("password", ["123", "12345678901234", "password", "new_user1", ""])
def test_a_weak_password_answers_400_naming_password(admin: APIClient, cast: Cast, password: str) -> None:
    response = admin.post(USERS, user_body(password=password, hospital=cast.hospital_a.pk))

    assert response.status_code == 400
    assert "password" in response.data
    assert not User.objects.filter(username="new_user").exists()


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF])
def test_a_department_role_without_a_hospital_answers_400_naming_hospital(admin: APIClient, role: str) -> None:
    for data in (user_body(role=role), user_body(role=role, hospital=None)):
        response = admin.post(USERS, data)

        assert response.status_code == 400
        assert "hospital" in response.data
    assert not User.objects.filter(username="new_user").exists()


@pytest.mark.parametrize("role", [Role.INSPECTOR, Role.QC_ADMIN])
def test_a_qc_role_with_a_hospital_answers_400_naming_hospital(admin: APIClient, cast: Cast, role: str) -> None:
    response = admin.post(USERS, user_body(role=role, hospital=cast.hospital_a.pk))

    assert response.status_code == 400
    assert "hospital" in response.data
    assert not User.objects.filter(username="new_user").exists()


def test_an_unknown_role_answers_400_naming_role(admin: APIClient, cast: Cast) -> None:
    response = admin.post(USERS, user_body(role="superuser", hospital=cast.hospital_a.pk))

    assert response.status_code == 400
    assert "role" in response.data


def test_a_taken_username_answers_400_naming_username(admin: APIClient, cast: Cast) -> None:
    response = admin.post(USERS, user_body(username="head_a", hospital=cast.hospital_a.pk))

    assert response.status_code == 400
    assert "username" in response.data
    assert User.objects.filter(username="head_a").count() == 1


def test_a_hospital_that_does_not_exist_answers_400_naming_hospital(admin: APIClient) -> None:
    response = admin.post(USERS, user_body(hospital=987654))

    assert response.status_code == 400
    assert "hospital" in response.data


def test_a_refused_user_leaves_no_audit_event(admin: APIClient) -> None:
    admin.post(USERS, user_body(password="123"))

    assert not AuditEvent.objects.exists()


# ------------------------------------------- created users act in their role --


def test_a_created_department_head_signs_in_sees_only_their_hospital_and_opens_a_self_assessment(
    admin: APIClient, cast: Cast
) -> None:
    admin.post(USERS, user_body(username="head_b2", hospital=cast.hospital_b.pk))
    client = token_client("head_b2", STRONG)

    hospitals = client.get(HOSPITALS)
    created = client.post(
        "/api/v1/assessments/", {"hospital": cast.hospital_b.pk, "standard": "cq2011", "kind": "self", "year": 2026}
    )
    inspection = client.post(
        "/api/v1/assessments/",
        {"hospital": cast.hospital_b.pk, "standard": "cq2011", "kind": "inspection", "year": 2026},
    )

    assert [h["id"] for h in hospitals.data["results"]] == [cast.hospital_b.pk]
    assert client.get(f"{HOSPITALS}{cast.hospital_a.pk}/").status_code == 404
    assert created.status_code == 201
    assert inspection.status_code == 403
    assert client.post(HOSPITALS, {"name": "戊医院", "level": "3A"}).status_code == 403


def test_a_created_staff_member_may_rate_but_not_open_an_assessment(admin: APIClient, cast: Cast) -> None:
    admin.post(USERS, user_body(username="staff_a2", role=Role.DEPARTMENT_STAFF, hospital=cast.hospital_a.pk))
    head = cast.client("head_a")
    assessment = head.post(
        "/api/v1/assessments/", {"hospital": cast.hospital_a.pk, "standard": "cq2011", "kind": "self", "year": 2026}
    ).data
    client = token_client("staff_a2", STRONG)

    opened = client.post(
        "/api/v1/assessments/", {"hospital": cast.hospital_a.pk, "standard": "cq2011", "kind": "self", "year": 2027}
    )
    rated = client.put(f"/api/v1/assessments/{assessment['id']}/ratings/1.1-1-1/", {"rating": "met"})

    assert opened.status_code == 403
    assert rated.status_code == 200
    assert rated.data["rated_by"] == "staff_a2"


def test_a_created_inspector_sees_nothing_until_assigned_then_inspects(admin: APIClient, cast: Cast) -> None:
    inspector_id = admin.post(USERS, user_body(username="inspector2", role=Role.INSPECTOR)).data["id"]
    client = token_client("inspector2", STRONG)
    assert client.get(HOSPITALS).data["results"] == []

    assigned = admin.post("/api/v1/assignments/", {"inspector": inspector_id, "hospital": cast.hospital_b.pk})

    assert assigned.status_code == 201
    assert [h["id"] for h in client.get(HOSPITALS).data["results"]] == [cast.hospital_b.pk]
    assert [a["hospital"] for a in client.get("/api/v1/assignments/").data["results"]] == [cast.hospital_b.pk]
    created = client.post(
        "/api/v1/assessments/",
        {"hospital": cast.hospital_b.pk, "standard": "cq2011", "kind": "inspection", "year": 2026},
    )
    assert created.status_code == 201

    withdrawn = admin.delete(f"/api/v1/assignments/{assigned.data['id']}/")

    assert withdrawn.status_code == 204
    assert client.get(HOSPITALS).data["results"] == []
    assert client.get(f"/api/v1/assessments/{created.data['id']}/").status_code == 404
    assert not InspectorAssignment.objects.filter(inspector_id=inspector_id).exists()


def test_a_created_qc_admin_registers_hospitals_and_users(admin: APIClient) -> None:
    admin.post(USERS, user_body(username="qc2", role=Role.QC_ADMIN))
    client = token_client("qc2", STRONG)

    hospital = client.post(HOSPITALS, {"name": "戊医院", "level": "2A"})
    user = client.post(USERS, user_body(username="head_e", hospital=hospital.data["id"]))

    assert hospital.status_code == 201
    assert user.status_code == 201
    assert User.objects.get(username="qc2").is_staff


def test_assigning_a_non_inspector_answers_400_naming_inspector(admin: APIClient, cast: Cast) -> None:
    response = admin.post("/api/v1/assignments/", {"inspector": cast.head_a.pk, "hospital": cast.hospital_a.pk})

    assert response.status_code == 400
    assert "inspector" in response.data


def test_a_wrong_password_gets_no_token(cast: Cast) -> None:
    response = APIClient().post("/api/v1/auth/token/", {"username": "head_a", "password": "nope"})

    assert response.status_code == 400
    assert "token" not in response.data


def test_an_inactive_user_gets_no_token_and_an_old_token_stops_working(cast: Cast) -> None:
    client = cast.client("head_a")
    User.objects.filter(pk=cast.head_a.pk).update(is_active=False)

    assert client.get(HOSPITALS).status_code == 401
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "head_a", "password": "correct-horse-battery-staple"}
    )
    assert response.status_code == 400
