"""Writes through the Django admin are audited like any other: old and new values, rows as they were, no secrets."""

import json

import pytest
from django.test import Client

from accounts.models import Hospital, InspectorAssignment, Role, User
from audit.models import AuditEvent
from scoring.models import Criterion, GradeThreshold, Standard
from tests.accounts.factories import HospitalFactory
from tests.conftest import Cast

from .admin_forms import change_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.qc_admin)
    return client


def test_changing_a_users_role_records_old_and_new(cast: Cast, admin_client: Client) -> None:
    url = f"/admin/accounts/user/{cast.inspector_unassigned.pk}/change/"
    data = change_form_data(admin_client.get(url), role=Role.QC_ADMIN)

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="admin.change", object_type="accounts.user")
    # (The form shows date_joined to the second, so it may count as changed by its microseconds too.)
    assert (event.before["role"], event.after["role"]) == ("inspector", "qc_admin")
    assert (event.actor_id, event.request_id) == (cast.qc_admin.pk, response["X-Request-ID"])


def test_disabling_a_user_in_the_admin_is_recorded(cast: Cast, admin_client: Client) -> None:
    url = f"/admin/accounts/user/{cast.staff_a.pk}/change/"
    data = change_form_data(admin_client.get(url), is_active=None)

    assert admin_client.post(url, data).status_code == 302

    event = AuditEvent.objects.get(action="admin.change", object_id=str(cast.staff_a.pk))
    assert (event.before["is_active"], event.after["is_active"]) == (True, False)
    assert event.hospital_id == cast.hospital_a.pk


def test_adding_a_user_records_it_without_the_password(cast: Cast, admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new_head",
            "password1": "a-long-enough-secret-2026",
            "password2": "a-long-enough-secret-2026",
            "usable_password": "true",
            "role": Role.DEPARTMENT_HEAD,
            "hospital": cast.hospital_b.pk,
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user = User.objects.get(username="new_head")
    event = AuditEvent.objects.get(action="admin.add", object_id=str(user.pk))
    assert event.after["username"] == "new_head" and event.after["role"] == "department_head"
    assert "a-long-enough-secret-2026" not in json.dumps(event.after)
    assert event.after["password1"] == "***"


def test_a_password_set_in_the_admin_is_recorded_without_the_password(cast: Cast, admin_client: Client) -> None:
    url = f"/admin/accounts/user/{cast.head_b.pk}/password/"
    response = admin_client.post(
        url,
        {"password1": "another-long-secret-2026", "password2": "another-long-secret-2026", "usable_password": "true"},
    )

    assert response.status_code == 302
    (event,) = AuditEvent.objects.filter(action="admin.change", object_id=str(cast.head_b.pk))
    assert "another-long-secret-2026" not in json.dumps(event.after)
    assert event.request_id == response["X-Request-ID"]


def test_adding_a_hospital_records_every_field(cast: Cast, admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/accounts/hospital/add/", {"name": "丙医院", "level": "2B", "district": "北碚区"}
    )

    assert response.status_code == 302
    hospital = Hospital.objects.get(name="丙医院")
    event = AuditEvent.objects.get(action="admin.add")
    assert (event.object_id, event.hospital_id) == (str(hospital.pk), hospital.pk)
    assert event.after == {
        "name": "丙医院",
        "level": "2B",
        "key_specialty": False,
        "teaching": False,
        "district": "北碚区",
    }


def test_deleting_in_the_admin_records_the_row_as_it_was(cast: Cast, admin_client: Client) -> None:
    assignment = InspectorAssignment.objects.get(inspector=cast.inspector)

    response = admin_client.post(f"/admin/accounts/inspectorassignment/{assignment.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not InspectorAssignment.objects.exists()
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.object_id == str(assignment.pk)
    assert event.before["inspector_id"] == cast.inspector.pk and event.before["hospital_id"] == cast.hospital_a.pk


def test_a_bulk_delete_records_each_row(cast: Cast, admin_client: Client) -> None:
    extra = [HospitalFactory(name=f"待删{i}", level="2B") for i in range(3)]

    response = admin_client.post(
        "/admin/accounts/hospital/",
        {"action": "delete_selected", "_selected_action": [h.pk for h in extra], "post": "yes"},
    )

    assert response.status_code == 302
    deleted = AuditEvent.objects.filter(action="admin.delete", object_type="accounts.hospital")
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(h.pk) for h in extra)
    assert {e.before["name"] for e in deleted} == {"待删0", "待删1", "待删2"}


def test_a_veto_flag_changed_in_the_list_is_recorded_once_by_its_service(cast: Cast, admin_client: Client) -> None:
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    changelist = admin_client.get("/admin/scoring/criterion/", {"q": "1.1-1-1"})
    formset = changelist.context["cl"].formset
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": str(criterion.pk),
        "_save": "保存",
    }
    if not criterion.veto:
        data["form-0-veto"] = "on"
    assert formset.total_form_count() == 1

    response = admin_client.post("/admin/scoring/criterion/?q=1.1-1-1", data)

    assert response.status_code == 302
    events = AuditEvent.objects.filter(object_type="scoring.criterion", object_id=str(criterion.pk))
    assert list(events.values_list("action", flat=True)) == ["criterion.veto"]


def test_inline_rows_are_recorded_one_by_one(cast: Cast, admin_client: Client) -> None:
    standard = Standard.objects.get(code="cq2011")
    url = f"/admin/scoring/standard/{standard.pk}/change/"
    page = admin_client.get(url)
    threshold = GradeThreshold.objects.filter(standard=standard).order_by("pk").first()
    data = change_form_data(page)
    prefix = next(f.formset.prefix for f in page.context["inline_admin_formsets"])
    index = next(
        i for i, f in enumerate(page.context["inline_admin_formsets"][0].formset.forms) if f.instance == threshold
    )
    data[f"{prefix}-{index}-points"] = "851"

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="admin.change", object_type="scoring.gradethreshold")
    assert event.object_id == str(threshold.pk) and event.after == {"points": "851"}


def test_the_trail_is_read_only_in_the_admin_and_searchable(cast: Cast, admin_client: Client) -> None:
    event = AuditEvent.objects.filter(action="auth.login").get()  # the admin's own sign-in

    assert admin_client.get("/admin/audit/auditevent/", {"q": "127.0.0.1"}).status_code == 200
    assert admin_client.get("/admin/audit/auditevent/", {"q": "qc_admin"}).status_code == 200
    assert admin_client.get(f"/admin/audit/auditevent/{event.pk}/change/").status_code == 200  # a read-only view
    assert admin_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
