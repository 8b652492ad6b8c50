"""Lockout after repeated failures, per account and address: the sign-in page, the API's token endpoint, the admin's."""

import logging
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
HERE, ELSEWHERE = "192.0.2.10", "198.51.100.20"


def web_login(username: str, password: str, *, ip: str = HERE, client: Client | None = None) -> Any:
    return (client or Client()).post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def admin_login(username: str, password: str, *, ip: str = HERE) -> Any:
    return Client().post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def token_login(username: str, password: str, *, ip: str = HERE) -> Any:
    return APIClient().post("/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(login: Any, username: str, times: int, *, ip: str = HERE) -> list[Any]:
    return [login(username, "wrong-password", ip=ip) for _ in range(times)]


def test_the_settings_say_what_the_readme_says() -> None:
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 30 * 60)
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_the_sign_in_page_locks_an_account_out_at_the_limit_and_refuses_even_the_right_password(cast: Cast) -> None:
    answers = fail(web_login, "head_a", LIMIT)

    assert [r.status_code for r in answers[:-1]] == [200] * (LIMIT - 1)  # the form again, with an error
    assert answers[-1].status_code == 429
    assert "账号已暂时锁定" in answers[-1].content.decode()
    assert "30 分钟" in answers[-1].content.decode()
    locked = web_login("head_a", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in locked.client.session


def test_one_failure_short_of_the_limit_the_right_password_still_signs_in_and_clears_the_count(cast: Cast) -> None:
    fail(web_login, "head_a", LIMIT - 1)

    assert web_login("head_a", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="head_a").exists()  # a success forgives earlier failures
    assert fail(web_login, "head_a", LIMIT - 1)[-1].status_code == 200


def test_the_lockout_is_per_account_and_address(cast: Cast) -> None:
    fail(web_login, "head_a", LIMIT)

    assert web_login("head_a", PASSWORD, ip=ELSEWHERE).status_code == 302  # the same account elsewhere
    assert web_login("staff_a", PASSWORD, ip=HERE).status_code == 302  # another account from here


def test_the_api_token_endpoint_locks_out_too_and_answers_429(cast: Cast) -> None:
    answers = fail(token_login, "inspector", LIMIT)

    assert [r.status_code for r in answers[:-1]] == [400] * (LIMIT - 1)
    assert answers[-1].status_code == 429
    locked = token_login("inspector", PASSWORD)
    assert locked.status_code == 429
    assert "token" not in locked.json()
    assert token_login("inspector", PASSWORD, ip=ELSEWHERE).status_code == 200


def test_failures_on_the_web_and_the_api_add_up(cast: Cast) -> None:
    fail(web_login, "head_a", LIMIT - 1)

    assert token_login("head_a", "wrong-password").status_code == 429


def test_the_admin_sign_in_locks_out_too(cast: Cast) -> None:
    answers = fail(admin_login, "qc_admin", LIMIT)

    assert answers[-1].status_code == 429
    assert admin_login("qc_admin", PASSWORD).status_code == 429
    assert web_login("qc_admin", PASSWORD).status_code == 429  # one lockout, whichever door


def test_failures_and_the_lockout_are_logged_and_kept(cast: Cast, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="axes"):
        fail(web_login, "head_a", LIMIT)

    attempt = AccessAttempt.objects.get(username="head_a", ip_address=HERE)
    assert attempt.failures_since_start == LIMIT
    assert "wrong-password" not in attempt.post_data  # the password is masked
    assert AccessFailureLog.objects.filter(username="head_a", ip_address=HERE, locked_out=True).exists()
    assert any("locking out" in r.getMessage().lower() and "head_a" in r.getMessage() for r in caplog.records)


def test_a_qc_admin_unlocks_an_account_in_the_admin(cast: Cast) -> None:
    fail(web_login, "head_a", LIMIT)
    admin = Client()
    admin.force_login(cast.qc_admin)

    response = admin.post(
        "/admin/accounts/user/", {"action": "unlock", "_selected_action": [cast.head_a.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "已解除 1 个用户的登录锁定" in response.content.decode()
    assert web_login("head_a", PASSWORD).status_code == 302


def test_the_lockouts_are_listed_in_the_admin_for_the_qc_admin(cast: Cast) -> None:
    fail(web_login, "head_a", LIMIT)
    admin = Client()
    admin.force_login(cast.qc_admin)

    page = admin.get("/admin/axes/accessattempt/")

    assert page.status_code == 200
    assert "head_a" in page.content.decode()
