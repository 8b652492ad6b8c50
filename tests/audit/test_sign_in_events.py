"""Sign-ins, sign-outs and failed sign-ins are in the audit log, with the attempted username and never a password."""

import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def all_text(event: AuditEvent) -> str:
    fields = [event.object_repr, event.object_id, event.reason, json.dumps(event.before), json.dumps(event.after)]
    return " ".join(fields)


def test_signing_in_on_the_login_page_is_recorded(cast: Cast) -> None:
    response = Client().post("/accounts/login/", {"username": "head_a", "password": PASSWORD}, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor_id, event.object_type, event.object_id) == (
        cast.head_a.pk,
        "accounts.user",
        str(cast.head_a.pk),
    )
    assert (event.ip, event.request_id) == ("192.0.2.10", response["X-Request-ID"])


def test_a_failed_sign_in_is_recorded_with_the_username_and_without_the_password(cast: Cast) -> None:
    response = Client().post("/accounts/login/", {"username": "head_a", "password": "wrong-guess-123"})

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.after == {"username": "head_a"} and event.object_id == str(cast.head_a.pk)
    assert "wrong-guess-123" not in all_text(event)


def test_a_failed_sign_in_as_nobody_names_the_attempted_username(db: None) -> None:
    Client().post("/accounts/login/", {"username": "admin' OR 1=1", "password": "x"})

    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.object_repr, event.object_id) == ("admin' OR 1=1", "")


def test_a_failed_api_token_request_is_recorded(cast: Cast) -> None:
    response = Client().post("/api/v1/auth/token/", {"username": "staff_a", "password": "not-it-at-all"})

    assert response.status_code == 400
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.after == {"username": "staff_a"} and "not-it-at-all" not in all_text(event)


def test_signing_out_is_recorded(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.staff_a)

    response = client.post("/accounts/logout/")

    event = AuditEvent.objects.get(action="auth.logout")
    assert (event.actor_id, event.request_id) == (cast.staff_a.pk, response["X-Request-ID"])
