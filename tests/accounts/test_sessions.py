"""Sessions: 30 minutes idle, 12 hours at most, a new key at sign-in, ended on the server at sign-out and on deactivation."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.security import AUTH_AT, LAST_SEEN
from tests.accounts.factories import PASSWORD, TokenFactory
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

PAGE = "/assessments/"  # any page that needs a signed-in user


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def stored(key: str) -> dict:
    return Session.objects.get(session_key=key).get_decoded()


def set_clock(client: Client, **values: int) -> None:
    session = client.session
    for name, value in values.items():
        session[name] = value
    session.save()


def test_the_settings_say_what_the_readme_says() -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_a_session_idle_for_more_than_30_minutes_is_over(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    key = session_key(client)
    set_clock(client, **{LAST_SEEN: int(time.time()) - 30 * 60 - 5})

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()  # ended on the server, not just forgotten


def test_an_htmx_call_on_an_idle_session_answers_401_so_the_page_keeps_the_answer(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    set_clock(client, **{LAST_SEEN: int(time.time()) - 31 * 60})

    response = client.get(PAGE, HTTP_HX_REQUEST="true")

    assert response.status_code == 401


def test_the_database_expiry_is_the_idle_timeout_too(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    Session.objects.filter(session_key=session_key(client)).update(expire_date=timezone.now() - timedelta(seconds=1))

    assert client.get(PAGE).status_code == 302


def test_activity_keeps_the_session_alive_and_pushes_its_expiry_on(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    key = session_key(client)
    two_minutes_ago = int(time.time()) - 120
    set_clock(client, **{LAST_SEEN: two_minutes_ago})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=28))

    assert client.get(PAGE).status_code == 200

    assert stored(key)[LAST_SEEN] > two_minutes_ago
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + timedelta(minutes=29)


def test_requests_within_a_minute_write_nothing_back(cast: Cast, django_assert_max_num_queries) -> None:
    client = signed_in(cast.head_a)
    client.get(PAGE)

    # Session and user, then the page's own queries: no UPDATE of the session.
    with django_assert_max_num_queries(10) as captured:
        client.get(PAGE)
    assert not any(q["sql"].startswith('UPDATE "django_session"') for q in captured.captured_queries)


def test_a_session_ends_12_hours_after_sign_in_however_active(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    key = session_key(client)
    now = int(time.time())
    set_clock(client, **{AUTH_AT: now - 12 * 60 * 60 - 5, LAST_SEEN: now - 10})

    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=key).exists()


def test_eleven_hours_after_sign_in_an_active_session_goes_on(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    now = int(time.time())
    set_clock(client, **{AUTH_AT: now - 11 * 60 * 60, LAST_SEEN: now - 10})

    assert client.get(PAGE).status_code == 200


def test_signing_in_gives_a_new_session_key_and_drops_the_old_one(cast: Cast) -> None:
    client = Client()
    before = client.session  # a session planted before sign-in, as in session fixation
    before["planted"] = True
    before.save()
    old_key = before.session_key
    assert session_key(client) == old_key

    response = client.post("/accounts/login/", {"username": "head_a", "password": PASSWORD})

    assert response.status_code == 302
    new_key = session_key(client)
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert stored(new_key)["_auth_user_id"] == str(cast.head_a.pk)


def test_signing_out_deletes_the_session_on_the_server(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    key = session_key(client)

    assert client.post("/accounts/logout/").status_code == 302

    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key  # the old cookie, kept by someone
    assert replay.get(PAGE).status_code == 302


def test_a_deactivated_user_is_signed_out_at_the_next_request(cast: Cast) -> None:
    client = signed_in(cast.head_a)
    User.objects.filter(pk=cast.head_a.pk).update(is_active=False)

    assert client.get(PAGE).status_code == 302


def test_deactivating_in_the_admin_ends_every_session_and_the_api_token(cast: Cast) -> None:
    phone, desk = signed_in(cast.head_a), signed_in(cast.head_a)
    other = signed_in(cast.staff_a)
    TokenFactory(user=cast.head_a)
    admin = signed_in(cast.qc_admin)

    response = admin.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [cast.head_a.pk]})

    assert response.status_code == 302
    cast.head_a.refresh_from_db()
    assert not cast.head_a.is_active
    for client in (phone, desk):
        assert not Session.objects.filter(session_key=session_key(client)).exists()
    assert not Token.objects.filter(user=cast.head_a).exists()
    assert Session.objects.filter(session_key=session_key(other)).exists()  # nobody else's


def test_unticking_active_on_the_user_form_ends_the_sessions_too(cast: Cast) -> None:
    user = cast.staff_a
    client = signed_in(user)
    admin = signed_in(cast.qc_admin)
    joined = timezone.localtime(user.date_joined)

    response = admin.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "first_name": "",
            "last_name": "",
            "email": "",
            "date_joined_0": joined.strftime("%Y-%m-%d"),
            "date_joined_1": joined.strftime("%H:%M:%S"),
            "role": user.role,
            "hospital": user.hospital_id,
            # is_active left out: unticked
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert not user.is_active
    assert not Session.objects.filter(session_key=session_key(client)).exists()


def test_cookies_are_http_only_and_same_site_lax(cast: Cast) -> None:
    client = Client()
    client.post("/accounts/login/", {"username": "head_a", "password": PASSWORD})

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"
