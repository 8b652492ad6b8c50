"""Every page of the app, walked in real Chromium at tablet (768 × 1024) and desktop (1280 × 800) width (issue 13).

The pages come from the URL matrix (tests/matrix/test_url_matrix.py): every GET row outside the API
and the admin site that some member of the cast opens with 200 is walked, on the matrix's world of
real objects (tests/matrix/world.py), as the first member of PREFERENCE let in (or as WHO names).
A new page therefore gets walked as soon as it has its matrix row; a GET URL that is not a page
(a download, a redirect, a fragment) goes into NOT_WALKED with its reason, and
`test_every_get_page_is_walked_or_listed` fails until it is in one or the other.

On each page, at each width:
- a full-page screenshot is written to var/artifacts/screenshots/<page>-<width>.png;
- the page does not scroll sideways (a wide table scrolls in its own box, `.table-scroll`);
- no navigation item wraps onto a second line (the 菜单 dropdown and the user menu opened too);
- no short label (a status, a date, a code, a column head) is broken over lines, no label of the totals
  bar is split from its value, and nothing positioned over the flow covers text;
- what IN_SIGHT names is on screen without scrolling a table sideways (the indicator table's actions);
- axe-core finds no WCAG 2.0/2.1 A or AA violation, of any impact, with the navigation's dropdowns open.
The workspace is walked with its first criterion unfolded.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page

from scoring.models import Rating
from tests.accounts.factories import TOTPDeviceFactory
from tests.browser.conftest import TIMEOUT_MS, login, screenshot, wait_for_requests_in_flight
from tests.conftest import CAST, Cast
from tests.matrix.test_url_matrix import ROWS, Row, endpoints
from tests.matrix.world import CRITERION, A, World, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = ((768, 1024), (1280, 800))
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

# GET URLs that are not HTML pages of the app, and why. Everything under the API (v1:) and the
# admin site (admin:) is not walked either: JSON, and Django's own admin pages.
NOT_WALKED: dict[str, str] = {
    "healthz": "JSON for load balancers",
    "schema": "the OpenAPI document (YAML)",
    "api-docs": "Swagger UI, a vendored third-party page over the API",
    "set_language": "a redirect (the language form posts to it)",
    "admin-password-change": "a redirect to the app's own password page",
    "assessment-history-csv": "a CSV download",
    "assessment-sheet": "an Excel download",
    "standard-sheet": "an Excel download",
    "profile-shortfalls-xlsx": "an Excel download",
    "audit-log-csv": "a CSV download",
    "evidence-download": "a file download",
    "rectification-evidence": "a file download",
    "profile-document": "a file download",
    "report-download": "a PDF download",
    "service-worker": "the service worker's JavaScript (sw.js)",
    # htmx fragments, checked inside the pages that load them:
    "criterion-details": "a criterion's details, unfolded in place in the workspace (walked there)",
    "notification-bell": "the bell in the header of every page",
}
NOT_WALKED_PREFIXES = ("v1:", "admin:")

# Who opens a page: the first of these that the matrix lets in with 200 ...
PREFERENCE = ("head_a", "inspector", "qc_admin", "staff_a", "head_b", "inspector_unassigned", "anonymous")
# ... unless another sees more on it (both hospitals' rows, the QC centre's controls).
WHO = {
    "round-list": "qc_admin",
    "round-detail": "qc_admin",
    "assessment-list": "qc_admin",
    "report-list": "qc_admin",
    "rectification-list": "qc_admin",
}


# Controls that must be on screen at both widths, without scrolling their table sideways (issue 13, D4).
IN_SIGHT = {"indicator-hospital": ".indicator-table tbody .row-actions a"}


@dataclass(frozen=True)
class Visit:
    """One page to walk: its screenshot's name, who opens it, and its path on the world."""

    name: str
    who: str
    path: Callable[[World], str]


def _row_path(r: Row, target: str) -> Callable[[World], str]:
    return lambda w: reverse(r.name, kwargs=r.kwargs(w, target)) + (f"?{r.query}" if r.query else "")


def _matrix_visits() -> list[Visit]:
    visits = []
    for r in ROWS:
        if "GET" not in r.methods or r.absent or _not_walked(r.name):
            continue
        target = A if A in r.codes else next(iter(r.codes))
        codes = dict(zip(CAST, r.codes[target], strict=True))
        who = WHO.get(r.name) or next((w for w in PREFERENCE if codes[w] == 200), None)
        if who is None:
            continue
        name = r.name + (f"-{r.variant}" if r.variant else "")
        visits.append(Visit(_slug(name), who, _row_path(r, target)))
    return visits


# Pages worth a second look as someone else, and pages no 200 in the matrix reaches.
EXTRA = [
    Visit("home-qc_admin", "qc_admin", lambda w: reverse("home")),
    Visit("home-inspector", "inspector", lambda w: reverse("home")),
    Visit("home-anonymous", "anonymous", lambda w: reverse("home")),
    # The inspector's workspace, with the department's self-ratings beside (the round's lead rates it).
    Visit(
        "assessment-detail-inspection", "lead_a", lambda w: reverse("assessment-detail", args=[w[A].team_inspection.pk])
    ),
    Visit(
        "assessment-finalize-inspection",
        "qc_admin",
        lambda w: reverse("assessment-finalize", args=[w[A].inspection_submitted.pk]),
    ),
    # A privileged user with an authenticator, signed in with the password only: the second step.
    # (The URL signing in lands on, with its ?next=: the page the user sees.)
    Visit("two-factor-verify", "inspector_unassigned", lambda w: reverse("two-factor-verify") + "?next=%2F"),
]


def visits() -> list[Visit]:
    return _matrix_visits() + EXTRA


def _not_walked(name: str) -> bool:
    return name in NOT_WALKED or name.startswith(NOT_WALKED_PREFIXES)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def test_every_get_page_is_walked_or_listed() -> None:
    walked = {v.name for v in visits()}
    missing = sorted(
        e.name or e.route
        for e in endpoints()
        if "GET" in e.methods and not e.is_admin and not _not_walked(e.name) and _slug(e.name) not in walked
    )
    assert missing == [], (
        "GET URLs neither walked (a matrix row that lets someone in with 200, or an EXTRA visit) "
        "nor listed in NOT_WALKED with a reason:\n" + "\n".join(missing)
    )


# --- the walk ---------------------------------------------------------------------------------------

# A label this short, with no space in it, stays on one line wherever it is a label: in a table cell, a badge,
# a button, a link, a summary, a definition list or a form label (a sentence may wrap where it likes). Up to six
# Chinese characters (待核验, 整改期限, 上传佐证材料) or twelve others (2027-03-05, 1.1-1-1, 制度.pdf).
SHORT_CJK, SHORT = 6, 12
LABELS = "th, td, .badge, button, summary, a, dt, dd, label, [role=button]"

MEASURE = """([SHORT_CJK, SHORT, LABELS]) => {
  const root = document.scrollingElement;
  const limit = root.clientWidth;
  const overflow = root.scrollWidth - limit;
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const offenders = [];
  if (overflow > 0) {
    // The outermost elements that stick out, outside any box that scrolls or clips them.
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= limit + 0.5) continue;
      const parent = el.parentElement;
      if (parent && parent !== document.body && parent.getBoundingClientRect().right > limit + 0.5) continue;
      let clipped = false;
      for (let up = parent; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== "visible") { clipped = true; break; }
      }
      if (!clipped) offenders.push(describe(el) + " to " + Math.round(box.right) + "px");
    }
    // Or a positioned element whose containing block lies outside the box that scrolls it.
    for (const el of offenders.length ? [] : document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      const place = getComputedStyle(el).position;
      if ((place === "absolute" || place === "fixed") && box.right > limit + 0.5) {
        offenders.push(describe(el) + " (" + place + ") to " + Math.round(box.right) + "px");
      }
    }
  }
  // Opened, the dropdowns' items are checked too; each link or summary must lie on one line.
  const closed = [...document.querySelectorAll("header nav details:not([open])")];
  closed.forEach((d) => d.setAttribute("open", ""));
  const wrapped = [];
  for (const el of document.querySelectorAll("header nav a, header nav summary, header nav button")) {
    if (!el.getClientRects().length) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    // On two lines when one box lies wholly below another (an icon beside a count sits lower, not below).
    const boxes = [...range.getClientRects()].filter((r) => r.width > 0);
    if (boxes.some((a) => boxes.some((b) => b.top >= a.bottom - 2))) wrapped.push(el.textContent.trim());
  }
  closed.forEach((d) => d.removeAttribute("open"));
  // A short label (a status, a date, a code, a column head, a link's word) broken over lines.
  const lines = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return new Set([...range.getClientRects()].filter((r) => r.width > 1).map((r) => Math.round(r.top))).size;
  };
  const broken = new Set();
  const walker = document.createTreeWalker(document.querySelector("main") || document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text.length < 2 || /\\s/.test(text) || text.length > (/[\\u3400-\\u9fff]/.test(text) ? SHORT_CJK : SHORT)) continue;
    const holder = node.parentElement.closest(LABELS);
    if (!holder || node.parentElement.closest(".visually-hidden, [hidden]")) continue;
    if (lines(node) > 1) broken.add(text);
  }
  // A label of the totals bar on one line, its value on the next.
  const split = [];
  for (const dt of document.querySelectorAll(".totals-bar dt")) {
    const dd = dt.nextElementSibling;
    if (dd && Math.abs(dd.getBoundingClientRect().top - dt.getBoundingClientRect().top) > 4) split.push(dt.textContent.trim());
  }
  // Something placed over the flow (the workspace's 详情 at the end of a criterion's line) covers no text.
  const covered = new Set();
  const seen = (r) => r.width > 2 && r.height > 2;
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  for (const el of (document.querySelector("main") || document.body).querySelectorAll("*")) {
    const style = getComputedStyle(el);
    if (style.position !== "absolute" || style.opacity === "0" || !el.textContent.trim() || el.closest(".visually-hidden")) continue;
    const box = el.getBoundingClientRect();
    if (!seen(box) || !el.offsetParent) continue;
    for (const other of el.offsetParent.querySelectorAll("*")) {
      if (other.children.length || !other.textContent.trim() || other.contains(el) || el.contains(other)) continue;
      if (other.closest(".visually-hidden") || !seen(other.getBoundingClientRect())) continue;
      if (meet(box, other.getBoundingClientRect())) covered.add(el.textContent.trim() + " over " + other.textContent.trim());
    }
  }
  return {overflow, offenders: offenders.slice(0, 6), wrapped, broken: [...broken].slice(0, 12), split,
    covered: [...covered].slice(0, 6)};
}"""

OPEN_MENUS = "(open) => document.querySelectorAll('header nav details').forEach((d) => d.toggleAttribute('open', open))"

AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
  return r.violations.map((v) => v.id + " (" + v.impact + "): "
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


def check(page: Page, name: str, width: int) -> list[str]:
    """The problems of the page as it is now, at this width; writes its screenshot."""
    screenshot(page, name)
    found: dict[str, Any] = page.evaluate(MEASURE, [SHORT_CJK, SHORT, LABELS])
    problems = []
    if found["overflow"] > 0:
        problems.append(f"scrolls sideways by {found['overflow']}px: {', '.join(found['offenders'])}")
    if found["wrapped"]:
        problems.append(f"navigation items wrap: {found['wrapped']}")
    if found["broken"]:
        problems.append(f"short labels broken over lines: {found['broken']}")
    if found["covered"]:
        problems.append(f"text covered by a positioned element: {found['covered']}")
    if found["split"]:
        problems.append(f"totals bar labels split from their values: {found['split']}")
    # axe with the navigation's dropdowns open (菜单 below 1024 px, the user's menu), so their items are checked.
    page.evaluate(OPEN_MENUS, True)
    for selector in [IN_SIGHT[name]] if name in IN_SIGHT else []:
        box = page.locator(selector).first.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"{selector} is off screen: {box}")
    problems += page.evaluate(AXE_RUN)
    page.evaluate(OPEN_MENUS, False)
    return [f"{name} @{width}: {p}" for p in problems]


def test_every_page_fits_both_widths_keeps_its_navigation_on_one_line_and_passes_axe(
    cast: Cast, browser: Browser, live_server: Any
) -> None:
    world = build_world(cast)
    TOTPDeviceFactory(user=cast.inspector_unassigned)
    # A remark shows on the compact line of the inspector's workspace (详情 · 有备注).
    Rating.objects.filter(assessment=world[A].team_inspection, criterion__code=CRITERION).update(
        remark="麻醉科独立设置，见院发文件。"
    )
    by_who: dict[str, list[Visit]] = {}
    for visit in visits():
        by_who.setdefault(visit.who, []).append(visit)

    problems: list[str] = []
    for who, pages in by_who.items():
        # One context a member of the cast: signed in once, resized between the two widths.
        context: BrowserContext = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": SIZES[0][0], "height": SIZES[0][1]}
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(AXE)  # through the DevTools protocol: the CSP refuses inline scripts
        page = context.new_page()
        try:
            if who != "anonymous":
                login(page, who)
            for visit in pages:
                path = visit.path(world)
                page.set_viewport_size({"width": SIZES[0][0], "height": SIZES[0][1]})
                response = page.goto(path)
                assert response is not None, f"{visit.name}: {path} gave no response"
                kind = response.headers.get("content-type", "")
                if response.status != 200 or not kind.startswith("text/html") or not page.locator("main").count():
                    problems.append(
                        f"{visit.name} {path} as {who}: {response.status} {kind} "
                        "(not a page, or a fragment of one: list it in NOT_WALKED with the reason)"
                    )
                    continue
                # The workspace's first criterion unfolded: its details (wording, suggestions, remark, the
                # evidence with its review and upload, the return form) are checked and shown too.
                details = page.locator("details.crit-more > summary")
                if details.count():
                    details.first.click()
                    page.wait_for_load_state("networkidle")
                for width, height in SIZES:
                    page.set_viewport_size({"width": width, "height": height})
                    problems += check(page, visit.name, width)
        finally:
            context.close()
    assert not wait_for_requests_in_flight(live_server)  # before the flush (tests/browser/conftest.py)
    assert problems == [], f"{len(problems)} layout or accessibility problems:\n" + "\n".join(problems)
