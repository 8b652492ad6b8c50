"""Media leave only through permission-checked views: streamed by Django, or handed to nginx (X-Accel-Redirect)."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, RequestFactory

from common.proxy import client_ip
from evidence.models import Evidence
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES, attach, pdf
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

PREFIX = "/protected-media/"


@pytest.fixture
def evidence(cast: Cast, settings: Any, tmp_path: Path) -> Evidence:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [stored] = attach(cast.head_a, assessment, pdf())
    return stored


def download(cast: Cast, who: str, evidence: Evidence, **params: str) -> Any:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client.get(f"/evidence/{evidence.pk}/", params)


def test_no_url_serves_the_stored_file_directly(cast: Cast, evidence: Evidence, settings: Any) -> None:
    client = Client()
    client.force_login(cast.head_a)
    name = evidence.file.name

    for url in (f"/media/{name}", f"/{name}", f"/static/{name}", f"{PREFIX}{name}"):
        assert client.get(url).status_code == 404, url


def test_by_default_django_streams_the_file_after_the_permission_check(cast: Cast, evidence: Evidence) -> None:
    response = download(cast, "head_a", evidence)

    assert response.status_code == 200
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_with_a_prefix_nginx_sends_the_file_with_the_same_headers(
    cast: Cast, evidence: Evidence, settings: Any
) -> None:
    settings.MEDIA_X_ACCEL_REDIRECT_PREFIX = PREFIX

    response = download(cast, "head_a", evidence)

    assert response.status_code == 200
    relative = Path(evidence.file.path).relative_to(Path(settings.MEDIA_ROOT).resolve()).as_posix()
    assert response["X-Accel-Redirect"] == PREFIX + relative
    assert response.content == b""  # nginx adds the bytes
    assert "Content-Length" not in response
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_with_a_prefix_the_framed_preview_keeps_its_framing_headers(
    cast: Cast, evidence: Evidence, settings: Any
) -> None:
    settings.MEDIA_X_ACCEL_REDIRECT_PREFIX = PREFIX

    response = download(cast, "head_a", evidence, preview="1")

    assert response["X-Accel-Redirect"].startswith(PREFIX)
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]


@pytest.mark.parametrize("who", ["head_b", "inspector_unassigned", "anonymous"])
def test_with_a_prefix_nobody_else_is_handed_the_file(cast: Cast, evidence: Evidence, settings: Any, who: str) -> None:
    settings.MEDIA_X_ACCEL_REDIRECT_PREFIX = PREFIX

    response = download(cast, who, evidence)

    assert response.status_code in (302, 404)
    assert "X-Accel-Redirect" not in response


def test_a_page_that_may_be_framed_by_this_site_says_so_in_its_policy_too(cast: Cast, evidence: Evidence) -> None:
    framed = download(cast, "head_a", evidence, preview="1")
    page = Client().get("/accounts/login/")

    assert "frame-ancestors 'self'" in framed["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy configured: the header is the client's word only
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry is left of the proxy's
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings: Any, count: int, forwarded: str, expected: str) -> None:
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected
