"""Real headless Chromium against pytest-django's live server, through Playwright.

Playwright drives Debian's Chromium (`/usr/bin/chromium`, or env CHROMIUM); it never
downloads a browser of its own, so `playwright install` is never needed.
Tests here use the live server, so they need `@pytest.mark.django_db(transaction=True)`
and the `browser` marker.

Screenshots of key pages land in var/artifacts/screenshots/<name>-<width>.png (and a
`failed-…` one of every open page when a test fails), kept as test artifacts.
"""

import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "artifacts" / "screenshots"
WIDTHS = (768, 1280)
HEIGHT = 900
TIMEOUT_MS = 10_000

_failed = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_failed] = report.failed
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for all of tests/browser; each test gets fresh contexts (cookies, storage).

    While Playwright's sync API is started it keeps an asyncio event loop running in the
    test thread. Django then takes every ORM call from the test (factories, the engine,
    pytest-django's flush) for one made inside a coroutine and refuses it; the thread is
    really synchronous, so DJANGO_ALLOW_ASYNC_UNSAFE allows it, for as long as the browser
    runs only. Package scope rather than session for the same reason: pytest-django runs the
    tests without a database after the transactional ones, and a loop left running would
    make `asyncio.run` and asgiref's `async_to_sync` fail in them.
    """
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        message = (
            f"Chromium not found at {CHROMIUM}. The browser tests drive Debian's chromium: "
            "install it with `scripts/apt-deps test` (as root; it installs chromium, fonts-noto-cjk and "
            "poppler-utils), or point env CHROMIUM at a Chromium binary. Do not run `playwright install`."
        )
        if os.environ.get("ANESQC_REQUIRE_POSTGRES") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE", "true"))
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server, request: pytest.FixtureRequest) -> Iterator[Callable[..., Page]]:
    """A factory of pages in fresh zh-CN contexts on the live server (relative URLs work)."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1280) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport={"width": width, "height": HEIGHT},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = request.node.stash.get(_failed, False)
    for n, context in enumerate(contexts):
        if failed:
            for m, page in enumerate(context.pages):
                _save(page, f"failed-{_slug(request.node.name)}-{n}{m}")
        context.close()
    # A request the browser sent just before its context closed (an image, a prefetch) is still being served in
    # a thread of the live server. pytest-django flushes the database next: the flush's TRUNCATE and that request's
    # writes (the audit row of a refusal) lock each other, the flush fails and the next test finds this one's rows.
    stuck = wait_for_requests_in_flight(live_server)
    assert not stuck, f"the live server was still serving {stuck} request(s) 30 s after the test's pages closed"


def wait_for_requests_in_flight(live_server, timeout: float = 30.0) -> int:
    """Wait until the live server serves no request; return how many it still serves after `timeout` s."""
    return live_server.thread.httpd.anesqc_in_flight.wait(timeout)


class RequestsInFlight:
    """Counts the requests a live server is serving, so that a test can wait for them to end.

    Django's live server is a `socketserver.ThreadingMixIn` with daemon threads, which it does not keep (it
    keeps only the others, for `server_close()` to join). The count goes up before a request's thread starts
    and down when the thread has answered and closed the connection.
    """

    def __init__(self, httpd) -> None:
        self._count = 0
        self._changed = threading.Condition()
        process_request, process_request_thread = httpd.process_request, httpd.process_request_thread

        def counted(request, client_address) -> None:  # the server's loop, as each connection comes in
            with self._changed:
                self._count += 1
            try:
                process_request(request, client_address)
            except BaseException:
                self._ended()
                raise

        def served(request, client_address) -> None:  # the request's own thread
            try:
                process_request_thread(request, client_address)
            finally:
                self._ended()

        # Instance attributes: `process_request` and the thread's target are looked up on the server object.
        httpd.process_request, httpd.process_request_thread = counted, served

    def _ended(self) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    def wait(self, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self._count == 0, timeout)
            return self._count


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, counting the requests it is serving (`wait_for_requests_in_flight`)."""
    httpd = live_server.thread.httpd
    if not hasattr(httpd, "anesqc_in_flight"):
        httpd.anesqc_in_flight = RequestsInFlight(httpd)
    return live_server


@pytest.fixture
def page_for(cast, new_page: Callable[..., Page]) -> Callable[..., Page]:
    """`page_for("head_a", width=768)`: a page signed in through the real login form, on the home page."""

    def make(username: str, width: int = 1280) -> Page:
        page = new_page(width)
        login(page, username)
        return page

    return make


def login(page: Page, username: str) -> None:
    """Sign in through /accounts/login/ as a user whose password is the factories' PASSWORD."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    # A wrong password re-renders the form at the same URL; wait for the redirect away from it.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def css_id(code: str) -> str:
    """The CSS selector of a criterion's box: `#c-1\\.1-1-1` (dots escaped)."""
    return "#c-" + code.replace(".", "\\.")


def open_details(page: Page, code: str) -> Locator:
    """Unfold a criterion's details in the workspace (remark, suggestions, evidence, return); return its box."""
    box = page.locator(css_id(code))
    if box.locator("details.crit-more").get_attribute("open") is None:
        box.locator("details.crit-more > summary").click()
    # On the whole workspace the details are fetched when first opened (issue 13): wait until they are in.
    expect(box.locator(".crit-details")).to_be_visible()
    return box


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG of the page at its current width: var/artifacts/screenshots/<name>-<width>.png."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    # From the top: scrolled down, the sticky totals bar is drawn mid-page in a full-page shot.
    page.evaluate("window.scrollTo(0, 0)")
    return _save(page, f"{name}-{width}")


def screenshots(page: Page, name: str, widths: tuple[int, ...] = WIDTHS) -> list[Path]:
    """Screenshot the page at each width (resizing the viewport), then restore its width."""
    original = page.viewport_size or {"width": 1280, "height": HEIGHT}
    paths = []
    for width in widths:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        paths.append(screenshot(page, name))
    page.set_viewport_size(original)
    return paths


def _save(page: Page, stem: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]
