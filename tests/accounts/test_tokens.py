"""The lifecycle of API tokens (issue 12, M2): they expire, and die with a password change, an expired
password, enrolling an authenticator, a policy that makes the second factor mandatory, and deactivation."""

import datetime
import secrets

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import security_policy_set, totp_device_enrol, user_deactivate
from tests.accounts.test_two_factor import code_for
from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-and-long-passphrase-7"
AUDIT = "/api/v1/audit/events/"
ME = "/api/v1/hospitals/"


def obtain(username: str, password: str = PASSWORD) -> str:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["token"]


def call(key: str, url: str = ME) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(url).status_code


def test_a_password_changed_on_the_page_ends_the_token_and_the_next_sign_in_gets_a_new_one(cast: Cast) -> None:
    key = obtain("head_a")
    assert call(key) == 200
    page = Client()
    page.force_login(cast.head_a)
    changed = page.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert changed.status_code == 302

    assert call(key) == 401
    fresh = obtain("head_a", NEW_PASSWORD)
    assert fresh != key and call(fresh) == 200


def test_a_password_set_in_the_admin_ends_the_token(cast: Cast) -> None:
    key = obtain("head_a")
    admin = Client()
    admin.force_login(cast.qc_admin)
    response = admin.post(
        f"/admin/accounts/user/{cast.head_a.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:300]
    assert call(key) == 401


def test_a_password_changed_anywhere_else_ends_the_token_too(cast: Cast) -> None:
    key = obtain("head_a")
    user = User.objects.get(pk=cast.head_a.pk)
    user.set_password(NEW_PASSWORD)  # the shell, a script: no hook runs, the token check still sees it
    user.save()
    assert call(key) == 401


def test_a_token_expires_after_its_lifetime(cast: Cast, settings) -> None:
    key = obtain("head_a")
    Token.objects.filter(key=key).update(
        created=timezone.now() - datetime.timedelta(hours=settings.API_TOKEN_TTL_HOURS)
    )

    response = APIClient(HTTP_AUTHORIZATION=f"Token {key}").get(ME)

    assert response.status_code == 401 and "过期" in response.json()["detail"]
    assert obtain("head_a") != key


def test_password_expiry_is_checked_on_every_request_not_only_at_issuance(cast: Cast, settings) -> None:
    key = obtain("inspector")
    assert call(key) == 200
    User.objects.filter(pk=cast.inspector.pk).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=settings.PASSWORD_MAX_AGE_DAYS + 1)
    )
    Token.objects.filter(key=key).update(created=timezone.now() - datetime.timedelta(minutes=1))

    assert call(key) == 401


def test_enrolling_an_authenticator_ends_a_token_issued_without_it(cast: Cast) -> None:
    key = obtain("qc_admin")
    assert call(key, AUDIT) == 200
    secret = secrets.token_hex(20)

    assert totp_device_enrol(user=cast.qc_admin, key=secret, token=code_for(secret)) is not None

    assert call(key, AUDIT) == 401


def test_making_the_second_factor_mandatory_ends_the_tokens_of_those_without_one(cast: Cast) -> None:
    admin_key, inspector_key, department_key = obtain("qc_admin"), obtain("inspector"), obtain("head_a")

    security_policy_set(actor=cast.qc_admin, second_factor_required=True)

    assert call(admin_key, AUDIT) == 401  # no longer reads the audit trail without a second factor
    assert call(inspector_key) == 401
    assert call(department_key) == 200  # departments have no second factor


def test_deactivation_ends_the_token(cast: Cast) -> None:
    key = obtain("head_a")
    user_deactivate(actor=cast.qc_admin, user=cast.head_a)
    assert call(key) == 401


def test_the_token_lookup_loads_what_the_orm_would_in_one_query(cast: Cast, django_assert_num_queries) -> None:
    # Issue 16: the lookup every API request makes runs SQL the ORM compiled once (accounts/api/tokens.py).
    from accounts.api.tokens import token_with_user

    key = obtain("head_a")
    expected = Token.objects.select_related("user").get(key=key)
    with django_assert_num_queries(1):
        token = token_with_user(key)
        assert token is not None
        user = token.user  # loaded with the token, as select_related leaves it
        assert user.auth_token is token
    fields = [f.attname for f in Token._meta.concrete_fields]
    assert [getattr(token, f) for f in fields] == [getattr(expected, f) for f in fields]
    fields = [f.attname for f in User._meta.concrete_fields]
    assert [getattr(user, f) for f in fields] == [getattr(expected.user, f) for f in fields]
    assert isinstance(user, User) and user.hospital_id == cast.hospital_a.pk and not user._state.adding
    with django_assert_num_queries(1):
        assert token_with_user(key[:-1] + ("0" if key[-1] != "0" else "1")) is None
    assert call("not-a-token") == 401
