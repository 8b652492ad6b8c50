"""The progressive web app: the service worker at /sw.js, the manifest, and the user named on each page."""

import json
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from accounts.security import LAST_SEEN
from common.pwa import SHELL, USER_HEADER
from tests.conftest import Cast
from tests.factories import AssessmentFactory
from tests.test_csp import directives

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_the_service_worker_is_served_at_the_root_as_javascript_and_never_cached() -> None:
    response = Client().get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert body.startswith("const VERSION = ")
    assert 'const SHELL = ["/static/vendor/pico/pico.min.css",' in body
    assert 'self.addEventListener("fetch"' in body


@pytest.mark.django_db
def test_the_service_worker_takes_no_writes() -> None:
    assert Client().post("/sw.js").status_code == 405


def test_every_file_of_the_app_shell_exists() -> None:
    missing = [name for name in SHELL if not finders.find(name)]

    assert not missing


def test_the_manifest_names_the_app_its_scope_and_icons_that_exist() -> None:
    manifest = json.loads((ROOT / "static" / "manifest.webmanifest").read_text())

    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


@pytest.mark.django_db
def test_every_page_links_the_manifest_the_offline_script_and_the_banner() -> None:
    page = Client().get("/accounts/login/").content.decode()

    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert '<script src="/static/js/offline.js" defer></script>' in page
    assert 'id="offline-banner"' in page and 'aria-live="polite"' in page


@pytest.mark.django_db
def test_the_policy_lets_this_origin_run_the_worker_and_serve_the_manifest(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.head_a)

    policy = directives(client.get("/").headers["Content-Security-Policy"])

    assert policy["worker-src"] == ["'self'"]
    assert policy["manifest-src"] == ["'self'"]


@pytest.mark.django_db
def test_a_page_names_its_signed_in_user_for_the_workers_cache_and_nobody_when_signed_out(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()

    assert USER_HEADER not in Client().get("/accounts/login/").headers
    client.force_login(cast.head_a)
    response = client.get(f"/assessments/{assessment.pk}/")

    assert response.headers[USER_HEADER] == str(cast.head_a.pk)
    assert USER_HEADER not in client.get("/sw.js").headers  # not a page


@pytest.mark.django_db
def test_the_browsers_background_fetch_of_the_worker_writes_no_session_cookie(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.head_a)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 120  # a page now would write the session, pushing its expiry on
    session.save()

    response = client.get("/sw.js")

    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert client.get("/").cookies[settings.SESSION_COOKIE_NAME]  # a page does
