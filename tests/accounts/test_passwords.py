"""Password rules: length, common and personal passwords refused; qc_admin and inspector passwords expire."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.security import password_expired
from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-and-long-passphrase-7"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt-pass!", "password_too_short"),  # 11 characters
        ("password1234", "password_too_common"),  # on the common-password list
        ("director-zhang-anesthesia1", "password_too_similar"),  # the username in disguise
        ("123456789012345", "password_entirely_numeric"),
        ("aaaaaaaaaaaa", "password_too_uniform"),  # issue 12 L6: long, but one character
        ("abababababab", "password_too_uniform"),
        ("xyzzxyzzxyzz", "password_too_uniform"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, code: str) -> None:
    user = User(username="director-zhang-anesthesia", role="inspector")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)

    assert code in [error.code for error in refused.value.error_list]


def test_twelve_characters_of_no_pattern_are_enough(cast: Cast) -> None:
    validate_password("ngx-river-42", cast.head_a)


def test_the_api_refuses_a_weak_password_for_a_new_user(cast: Cast) -> None:
    response = cast.client("qc_admin").post(
        "/api/v1/users/",
        {"username": "newbie", "password": "Sh0rt-pass!", "role": "inspector"},
    )

    assert response.status_code == 400
    assert "password" in response.json()


def age(user: User, days: int) -> None:
    User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now() - timedelta(days=days))
    user.refresh_from_db()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_an_expired_password_of_a_qc_admin_or_inspector_must_be_changed_first(cast: Cast, who: str) -> None:
    age(cast.users[who], 91)
    client = signed_in(cast.users[who])

    response = client.get("/rounds/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/?next=%2Frounds%2F"
    page = client.get(response["Location"])
    assert "按等级保护要求" in page.content.decode()
    assert client.get("/assessments/").status_code == 302  # every page, until it is done


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_a_password_younger_than_90_days_is_not_asked_for(cast: Cast, who: str) -> None:
    age(cast.users[who], 89)

    assert signed_in(cast.users[who]).get("/rounds/").status_code == 200


@pytest.mark.parametrize("who", ["head_a", "staff_a"])
def test_department_passwords_do_not_expire(cast: Cast, who: str) -> None:
    age(cast.users[who], 400)

    assert signed_in(cast.users[who]).get("/rounds/").status_code == 200


def test_changing_the_password_lets_the_user_on_to_where_they_were_going(cast: Cast) -> None:
    age(cast.inspector, 120)
    client = signed_in(cast.inspector)

    response = client.post(
        "/accounts/password/?next=/rounds/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "next": "/rounds/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/rounds/"
    assert client.get("/rounds/").status_code == 200  # still signed in, nothing owed
    cast.inspector.refresh_from_db()
    assert not password_expired(cast.inspector)
    assert cast.inspector.check_password(NEW_PASSWORD)


def test_the_current_password_is_not_accepted_as_the_new_one(cast: Cast) -> None:
    age(cast.inspector, 120)
    client = signed_in(cast.inspector)

    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == 200
    assert "新密码不能与当前密码相同" in response.content.decode()
    assert client.get("/rounds/").status_code == 302


def test_the_api_refuses_a_token_to_an_expired_password(cast: Cast) -> None:
    age(cast.qc_admin, 91)

    response = APIClient().post("/api/v1/auth/token/", {"username": "qc_admin", "password": PASSWORD})

    assert response.status_code == 403
    assert "密码已过期" in response.json()["detail"]


def test_an_expired_session_user_calling_the_api_gets_403_not_a_redirect(cast: Cast) -> None:
    age(cast.qc_admin, 91)
    client = signed_in(cast.qc_admin)

    response = client.get("/api/v1/hospitals/")

    assert response.status_code == 403
    assert "密码已过期" in response.json()["detail"]


def test_setting_a_password_starts_its_age_but_rehashing_it_does_not(cast: Cast, settings: Any) -> None:
    user = cast.inspector
    age(user, 80)
    before = user.password_changed_at

    # A stronger hasher makes Django re-hash the password at the next correct check.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.password_changed_at == before

    user.set_password(NEW_PASSWORD)
    assert user.password_changed_at > before


def test_a_superuser_created_by_the_manager_counts_from_the_day_the_account_was_made(db: None) -> None:
    root = User.objects.create_superuser("root", "root@example.org", NEW_PASSWORD)

    assert root.password_changed_at is None
    assert not password_expired(root)
    assert password_expired(root, now=root.date_joined + timedelta(days=91))
