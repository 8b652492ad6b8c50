"""The second factor (TOTP): optional for qc_admin and inspector accounts, mandatory once a qc_admin says so."""

from binascii import unhexlify

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import SecurityPolicy, User
from accounts.views import ENROL_KEY
from audit.models import AuditEvent
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory
from tests.conftest import Cast

pytestmark = pytest.mark.django_db

SETUP, VERIFY = "/accounts/two-factor/", "/accounts/two-factor/verify/"


def code_for(key_hex: str, *, steps_ago: int = 0) -> str:
    totp = TOTP(unhexlify(key_hex))
    totp.drift = -steps_ago
    return f"{totp.token():06d}"


def device_for(user: User) -> TOTPDevice:
    return TOTPDeviceFactory(user=user)


def sign_in(username: str, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def require_second_factor(required: bool = True) -> None:
    SecurityPolicy.objects.update_or_create(pk=1, defaults={"second_factor_required": required})


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_enrolment_shows_a_qr_code_drawn_here_and_a_right_code_turns_it_on(cast: Cast, who: str) -> None:
    client = Client()
    client.force_login(cast.users[who])

    page = client.get(SETUP)

    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml' in html  # drawn by the server, no outside service
    key = client.session[ENROL_KEY]
    assert not TOTPDevice.objects.filter(user=cast.users[who]).exists()  # nothing stored before a code proves it

    done = client.post(SETUP, {"token": code_for(key), "next": "/rounds/"})

    assert done.status_code == 302
    assert done["Location"] == "/rounds/"
    device = TOTPDevice.objects.get(user=cast.users[who])
    assert device.confirmed and device.key == key
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session counts as verified
    assert AuditEvent.objects.filter(action="totp.enrol", actor=cast.users[who]).exists()


def test_a_wrong_code_enrols_nothing(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.inspector)
    client.get(SETUP)
    key = client.session[ENROL_KEY]

    response = client.post(SETUP, {"token": code_for(key, steps_ago=10)})

    assert response.status_code == 200
    assert "验证码不正确" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.inspector).exists()


@pytest.mark.parametrize("who", ["head_a", "staff_a"])
def test_department_accounts_have_no_second_factor(cast: Cast, who: str) -> None:
    client = Client()
    client.force_login(cast.users[who])

    assert client.get(SETUP).status_code == 403
    assert client.get(VERIFY).status_code == 403


def test_after_the_password_an_enrolled_inspector_must_enter_a_code(cast: Cast) -> None:
    device = device_for(cast.inspector)
    client = sign_in("inspector")

    held = client.get("/rounds/")
    assert held.status_code == 302
    assert held["Location"] == "/accounts/two-factor/verify/?next=%2Frounds%2F"
    assert client.get("/api/v1/hospitals/").status_code == 403  # the session cannot use the API either

    wrong = client.post(VERIFY, {"token": code_for(device.key, steps_ago=10), "next": "/rounds/"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/rounds/").status_code == 302

    device.refresh_from_db()
    device.throttle_reset()  # the back-off after a wrong code (a second here) has passed
    right = client.post(VERIFY, {"token": code_for(device.key), "next": "/rounds/"})
    assert right.status_code == 302
    assert right["Location"] == "/rounds/"
    assert client.get("/rounds/").status_code == 200


def test_verifying_gives_the_session_a_new_key(cast: Cast) -> None:
    device = device_for(cast.qc_admin)
    client = sign_in("qc_admin")
    before = client.session.session_key

    client.post(VERIFY, {"token": code_for(device.key)})

    assert client.session.session_key != before


def test_a_used_code_cannot_be_replayed(cast: Cast) -> None:
    device = device_for(cast.inspector)
    code = code_for(device.key)
    first = sign_in("inspector")
    assert first.post(VERIFY, {"token": code}).status_code == 302

    second = sign_in("inspector", Client())
    assert second.post(VERIFY, {"token": code}).status_code == 200


def test_repeated_wrong_codes_are_slowed_down(cast: Cast) -> None:
    device = device_for(cast.inspector)
    client = sign_in("inspector")
    client.post(VERIFY, {"token": code_for(device.key, steps_ago=10)})

    # Even the right code waits while the device is throttled.
    response = client.post(VERIFY, {"token": code_for(device.key)})

    assert response.status_code == 200
    assert "错误次数过多" in response.content.decode()


def test_without_a_verified_session_the_authenticator_cannot_be_replaced(cast: Cast) -> None:
    device_for(cast.inspector)
    client = sign_in("inspector")

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert ENROL_KEY not in client.session


def test_department_sign_ins_are_not_held_whatever_the_policy(cast: Cast) -> None:
    require_second_factor()

    assert sign_in("head_a").get("/rounds/").status_code == 200


@pytest.mark.parametrize("who", ["qc_admin", "inspector"])
def test_when_mandatory_a_privileged_user_without_an_authenticator_must_enrol_first(cast: Cast, who: str) -> None:
    require_second_factor()
    client = sign_in(who)

    held = client.get("/rounds/")

    assert held.status_code == 302
    assert held["Location"] == "/accounts/two-factor/?next=%2Frounds%2F"
    page = client.get(held["Location"])
    assert "质控中心要求管理员和专家账号使用两步验证" in page.content.decode()
    key = client.session[ENROL_KEY]
    assert client.post(SETUP, {"token": code_for(key), "next": "/rounds/"}).status_code == 302
    assert client.get("/rounds/").status_code == 200


def test_when_optional_an_unenrolled_qc_admin_signs_in_with_the_password_alone(cast: Cast) -> None:
    require_second_factor(False)

    assert sign_in("qc_admin").get("/rounds/").status_code == 200


def test_a_qc_admin_makes_it_mandatory_in_the_admin(cast: Cast) -> None:
    require_second_factor(False)
    admin = Client()
    admin.force_login(cast.qc_admin)

    response = admin.post("/admin/accounts/securitypolicy/1/change/", {"second_factor_required": "on"})

    assert response.status_code == 302
    assert SecurityPolicy.objects.get(pk=1).second_factor_required
    # The admin goes through accounts.services.security_policy_set: one record, the service's.
    (event,) = AuditEvent.objects.filter(object_type="accounts.securitypolicy")
    assert event.action == "security_policy.set"
    assert (event.before, event.after) == ({"second_factor_required": False}, {"second_factor_required": True})
    assert (event.actor_id, event.request_id) == (cast.qc_admin.pk, response["X-Request-ID"])


def test_saving_the_policy_unchanged_in_the_admin_records_nothing(cast: Cast) -> None:
    require_second_factor(False)
    admin = Client()
    admin.force_login(cast.qc_admin)

    response = admin.post("/admin/accounts/securitypolicy/1/change/", {})  # the box left unticked

    assert response.status_code == 302
    assert not SecurityPolicy.objects.get(pk=1).second_factor_required
    assert not AuditEvent.objects.filter(object_type="accounts.securitypolicy").exists()


def test_the_api_token_of_an_enrolled_account_needs_the_code(cast: Cast) -> None:
    device = device_for(cast.inspector)
    api = APIClient()

    missing = api.post("/api/v1/auth/token/", {"username": "inspector", "password": PASSWORD})
    assert missing.status_code == 400
    assert "otp" in missing.json()

    wrong = api.post(
        "/api/v1/auth/token/",
        {"username": "inspector", "password": PASSWORD, "otp": code_for(device.key, steps_ago=10)},
    )
    assert wrong.status_code == 400

    device.refresh_from_db()
    device.throttle_reset()
    right = api.post(
        "/api/v1/auth/token/", {"username": "inspector", "password": PASSWORD, "otp": code_for(device.key)}
    )
    assert right.status_code == 200
    assert right.json()["token"]


def test_when_mandatory_the_api_refuses_a_token_until_the_user_enrols_in_the_browser(cast: Cast) -> None:
    require_second_factor()

    response = APIClient().post("/api/v1/auth/token/", {"username": "qc_admin", "password": PASSWORD})

    assert response.status_code == 403
    assert "两步验证" in response.json()["detail"]
    department = APIClient().post("/api/v1/auth/token/", {"username": "head_a", "password": PASSWORD})
    assert department.status_code == 200
