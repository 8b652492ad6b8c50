"""The fixed cast for permission tests, reused everywhere.

Hospital A (三级甲等, key specialty, teaching) and hospital B (二级甲等):
- qc_admin: the QC centre
- inspector: assigned to A only
- inspector_unassigned: assigned to nothing
- head_a, staff_a: department head and staff of A
- head_b: department head of B
- anonymous: nobody
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import Hospital, Level, Role, User
from indicators import comparison
from tests.factories import AssignmentFactory, HospitalFactory, UserFactory

CAST = ("qc_admin", "inspector", "inspector_unassigned", "head_a", "staff_a", "head_b", "anonymous")


@dataclass
class Cast:
    hospital_a: Hospital
    hospital_b: Hospital
    users: dict[str, User | None]

    def client(self, name: str) -> APIClient:
        """An API client authenticated by token as a cast member (anonymous: none)."""
        client = APIClient()
        user = self.users[name]
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    def __getattr__(self, name: str) -> Any:
        try:
            return self.users[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@pytest.fixture(scope="session", autouse=True)
def _plain_http() -> None:
    # The test client and the live server speak plain HTTP. Production redirects it to HTTPS
    # (DEBUG off); tests/test_deploy.py checks that configuration with `check --deploy`.
    django_settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _throttles_out_of_the_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    # The API's throttles count requests per address and minute; the suite sends hundreds from 127.0.0.1
    # (schemathesis alone). Tests marked `throttled` (tests/accounts/test_throttling.py) keep the real rates.
    if request.node.get_closest_marker("throttled") is None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": None, "token": None, "user": None})


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # Rate limits count in the cache (the audit log's anonymous refusals): each test starts with none.
    # Memoized comparisons are never stale, but a test that reads a page's context needs it computed.
    cache.clear()
    comparison.memo_clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # The locale middleware activates each request's language on the thread and leaves it there, as the
    # test client runs requests on the test's own thread: a test that signs in an English-speaking user
    # would otherwise make the next test's services speak English. Each test starts in the site language.
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2 at production strength costs ~0.3 s a user; the cast alone has six.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def cast(db: None) -> Cast:
    hospital_a = HospitalFactory(name="甲医院", level=Level.L3A, key_specialty=True, teaching=True, district="渝中区")
    hospital_b = HospitalFactory(name="乙医院", level=Level.L2A, key_specialty=False, district="万州区")
    inspector = UserFactory(username="inspector", role=Role.INSPECTOR, hospital=None)
    AssignmentFactory(inspector=inspector, hospital=hospital_a)
    users: dict[str, User | None] = {
        "qc_admin": UserFactory(username="qc_admin", role=Role.QC_ADMIN, hospital=None, is_staff=True),
        "inspector": inspector,
        "inspector_unassigned": UserFactory(username="inspector_unassigned", role=Role.INSPECTOR, hospital=None),
        "head_a": UserFactory(username="head_a", role=Role.DEPARTMENT_HEAD, hospital=hospital_a),
        "staff_a": UserFactory(username="staff_a", role=Role.DEPARTMENT_STAFF, hospital=hospital_a),
        "head_b": UserFactory(username="head_b", role=Role.DEPARTMENT_HEAD, hospital=hospital_b),
        "anonymous": None,
    }
    return Cast(hospital_a=hospital_a, hospital_b=hospital_b, users=users)


@pytest.fixture
def client_for(cast: Cast) -> Callable[[str], APIClient]:
    return cast.client
