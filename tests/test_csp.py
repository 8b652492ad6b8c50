"""Content-Security-Policy: every page has one, without 'unsafe-inline' or 'unsafe-eval', and the templates need neither."""

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import Cast

ROOT = Path(__file__).resolve().parents[1]
# PDF templates are rendered by WeasyPrint on the server, never sent to a browser.
BROWSER_TEMPLATES = [
    p for p in (ROOT / "templates").rglob("*.html") if "pdf" not in p.relative_to(ROOT / "templates").parts
]

INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style= attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "inline event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on attribute": re.compile(r"\shx-on", re.IGNORECASE),
    "evaluated hx-trigger filter": re.compile(r"hx-trigger\s*=\s*\"[^\"]*\[", re.IGNORECASE),
    "js: value": re.compile(r"hx-(vals|vars|headers)\s*=\s*['\"]\s*js:", re.IGNORECASE),
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("template", BROWSER_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_templates_need_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()

    found = [what for what, pattern in INLINE.items() if pattern.search(text)]

    assert not found, f"{template.relative_to(ROOT)}: {found} (move it to static/js or static/css)"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("anonymous", "/accounts/login/"),
        ("anonymous", "/"),
        ("head_a", "/"),
        ("head_a", "/assessments/"),
        ("qc_admin", "/admin/"),
        ("qc_admin", "/api/docs/"),
        ("qc_admin", "/api/v1/hospitals/"),
    ],
)
def test_every_page_has_a_policy_without_unsafe_inline_or_eval(cast: Cast, who: str, url: str) -> None:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])

    response = client.get(url)

    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_api_docs_load_their_start_up_script_from_this_origin(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.qc_admin)

    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert "<style" not in page and not re.search(r"<script>\s*\S", page)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(cast: Cast) -> None:
    page = Client().get("/accounts/login/").content.decode()

    assert '"includeIndicatorStyles": false' in page
    assert '"allowEval": false' in page
