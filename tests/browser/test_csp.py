"""The Content-Security-Policy in real Chromium: Pico, htmx, Chart.js, the admin and Swagger UI work, nothing is refused."""

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from scoring.models import Rating
from tests.browser.conftest import css_id, login
from tests.browser.test_indicator_dashboard import indicator
from tests.conftest import Cast
from tests.indicators.factories import PeriodValueFactory
from tests.scoring.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


@pytest.fixture
def watched(new_page: Callable[..., Page]) -> Iterator[tuple[Callable[..., Page], list[str]]]:
    """Pages whose CSP refusals (console errors and securitypolicyviolation events) are collected."""
    refused: list[str] = []

    def make(width: int = 1280) -> Page:
        page = new_page(width)

        def on_console(message: ConsoleMessage) -> None:
            if REFUSED.search(message.text):
                refused.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        return page

    yield make, refused


def test_the_department_pages_work_under_the_policy(cast: Cast, watched: tuple) -> None:
    make, refused = watched
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = make()
    login(page, "head_a")  # the sign-in page itself
    # Pico's own styles apply (a stylesheet of this origin): the nav is a flex row.
    assert page.eval_on_selector("header nav", "n => getComputedStyle(n).display") == "flex"

    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    box = page.locator(css_id("1.1-1-2"))
    # 基本达标 waits for its score: choosing it alone sends nothing (app.js, not an hx-trigger filter).
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if r.method == "POST" else None)
    box.locator("label:has(input[value=partial])").click()
    page.wait_for_timeout(800)
    assert requests == []
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/criteria/1.1-1-2/")):
        box.locator("input[name=score]").fill("7.5")
        box.locator("input[name=score]").press("Tab")
    expect(box.locator(".save-state.saved")).to_be_visible()
    assert Rating.objects.get(assessment=assessment, criterion__code="1.1-1-2").rating == "partial"

    # The history's criterion filter submits on change (data-autosubmit, no onchange attribute).
    page.goto(f"/assessments/{assessment.pk}/history/")
    page.select_option("select[name=criterion]", "1.1-1-2")
    page.wait_for_url(re.compile(r"criterion=1\.1-1-2"))

    assert refused == []


def test_charts_draw_under_the_policy(cast: Cast, watched: tuple) -> None:
    make, refused = watched
    block = indicator()
    PeriodValueFactory(hospital=cast.hospital_a, indicator=block, year=2026, month=1, numerator=95, denominator=100)
    page = make()
    login(page, "head_a")
    page.goto(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=t")
    page.locator("#i-t\\.browser_block_success a.indicator-dashboard-link").click()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")

    assert refused == []


def test_the_admin_the_api_docs_and_the_authenticator_qr_code_work_under_the_policy(cast: Cast, watched: tuple) -> None:
    make, refused = watched
    page = make()
    login(page, "qc_admin")

    page.goto("/admin/accounts/user/")
    expect(page.locator("#result_list")).to_contain_text("head_a")
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .title")).to_contain_text("anesqc API")
    page.goto("/accounts/two-factor/")
    qr = page.locator(".totp-qr img")
    expect(qr).to_be_visible()
    assert page.eval_on_selector(".totp-qr img", "img => img.complete && img.naturalWidth > 0")

    assert refused == []
