"""Work without a network on site (issue 13, point 4): the service worker, the IndexedDB queue, the sync.

The acceptance: with the browser context set offline after the page is loaded, rate 30 criteria across two
chapters and attach one photo, reload the page while still offline, rate 5 more, go back online: all 35
ratings and the photo are stored, in the history, with 0 lost and 0 duplicated. A second user's change to one
of them while offline comes back as a conflict to resolve. What is kept belongs to its user: never sent under
another account, forgotten (after a warning) on sign-out.
"""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from audit.models import AuditEvent
from evidence.models import Evidence
from scoring.models import Criterion, Rating
from tests.browser.conftest import css_id, login, open_details
from tests.browser.test_accessibility import violations
from tests.browser.test_evidence_upload_errors import PNG_BYTES
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.factories import AssessmentFactory
from workspace import services as workspace_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What offline.js keeps, read from IndexedDB: kind, user and criterion of each entry.
KEPT_JS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("anesqc-offline", 1);
  open.onupgradeneeded = () => open.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true });
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const all = open.result.transaction("queue").objectStore("queue").getAll();
    all.onsuccess = () => { resolve(all.result.map((e) => ({ kind: e.kind, user: e.user, code: e.code }))); open.result.close(); };
  };
})"""
PAGE_CACHES_JS = "() => caches.keys().then((names) => names.filter((n) => n.startsWith('anesqc-pages-')))"


def kept(page: Page) -> list[dict[str, Any]]:
    return page.evaluate(KEPT_JS)


def open_for_offline(page: Page, path: str) -> None:
    """Open a page online and wait until the service worker holds it (and the app shell) for use offline."""
    page.goto(path)
    # Ready means the worker has fetched the page, the shell and the criteria's details (up to 102 fragments):
    # seconds on a loaded machine, so a longer wait than the suite's default for one element.
    page.wait_for_selector("html[data-offline-ready=true]", state="attached", timeout=30_000)


def editable_codes(page: Page, chapter: int) -> list[str]:
    return page.eval_on_selector_all(
        f"#chapter-{chapter} article.criterion:has(form.crit-form)", "rows => rows.map((row) => row.id.slice(2))"
    )


def choose(page: Page, code: str, rating: str) -> None:
    page.locator(f"{css_id(code)} label:has(input[value={rating}])").click()


def banner(page: Page):
    return page.locator("#offline-banner")


def test_rated_offline_reloaded_offline_and_synced_online_nothing_lost_nothing_twice(
    cast: Cast, page_for: PageFor
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    open_for_offline(page, f"/assessments/{assessment.pk}/")
    first, second = editable_codes(page, 1), editable_codes(page, 3)
    before_reload = first[:15] + second[:15]
    after_reload = second[15:20]
    assert len(after_reload) == 5
    conflicted, photo_on = first[0], first[1]

    page.context.set_offline(True)
    expect(banner(page)).to_have_text("离线 · 0 项待同步")
    for code in before_reload:
        choose(page, code, "unmet" if code == conflicted else "met")
    expect(banner(page)).to_have_text("离线 · 30 项待同步")
    expect(page.locator(f"{css_id(first[2])} .save-state")).to_contain_text("已保存在本设备")
    box = open_details(page, photo_on)
    box.locator(".evidence-upload input[type=file]").set_input_files(
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    box.locator(".evidence-upload button[type=submit]").click()
    expect(banner(page)).to_have_text("离线 · 31 项待同步")
    expect(box.locator(".offline-upload-pending")).to_contain_text("现场照片.png")

    page.reload()  # still offline: the service worker serves the page it kept
    expect(page.locator("h1")).to_contain_text(cast.hospital_a.name)
    expect(banner(page)).to_have_text("离线 · 31 项待同步")
    expect(page.locator(f"{css_id(second[14])} input[value=met]")).to_be_checked()  # shown as kept
    expect(page.locator(f"{css_id(conflicted)} input[value=unmet]")).to_be_checked()
    assert violations(page) == []  # WCAG 2.1 AA with the banner and the kept rows shown
    for code in after_reload:
        choose(page, code, "met")
    expect(banner(page)).to_have_text("离线 · 36 项待同步")
    assert not Rating.objects.filter(assessment=assessment).exists()  # nothing reached the server yet

    # Meanwhile a colleague, online, rates one of them otherwise.
    workspace_services.rating_save(
        actor=cast.staff_a,
        assessment=assessment,
        criterion=Criterion.objects.get(standard=assessment.standard, code=conflicted),
        rating="met",
        expected_version=0,
    )

    page.context.set_offline(False)
    expect(banner(page)).to_have_text("", timeout=120_000)  # 36 requests, one after another, on a shared machine
    row = page.locator(css_id(conflicted))
    expect(row.locator(".save-state")).to_have_class(re.compile(r"\bconflict\b"))
    expect(row.locator("div.message-error[role=alert]")).to_contain_text(
        "staff_a 刚刚已将此细则评为“达标”"
    )  # the other person's value, to choose from
    row.get_by_role("button", name="以我的值覆盖").click()
    expect(row.locator(".save-state")).to_have_class(re.compile(r"\bsaved\b"))
    expect(page.locator(f"#evidence-{photo_on.replace('.', chr(92) + '.')} .evidence-item")).to_have_count(1)

    ratings = {r.criterion.code: r for r in Rating.objects.filter(assessment=assessment).select_related("criterion")}
    assert set(ratings) == set(before_reload + after_reload)  # 35, none lost
    assert {code: r.rating for code, r in ratings.items() if r.rating != "met"} == {conflicted: "unmet"}
    assert all(r.rated_by_id == cast.head_a.pk for r in ratings.values())
    events = AuditEvent.objects.filter(assessment_id=assessment.pk, action="rating.set")
    per_code = {code: events.filter(criterion_code=code).count() for code in ratings}
    assert per_code == {code: 2 if code == conflicted else 1 for code in ratings}  # none twice
    photos = Evidence.objects.filter(assessment=assessment)
    assert [(e.criterion.code, e.original_name) for e in photos] == [(photo_on, "现场照片.png")]
    assert AuditEvent.objects.filter(assessment_id=assessment.pk, action="evidence.upload").count() == 1
    history = page.goto(f"/assessments/{assessment.pk}/history/?criterion={conflicted}")
    assert history is not None and history.ok
    assert kept(page) == []


def test_what_one_user_kept_is_never_sent_for_the_next_user_of_the_browser(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a")
    path = f"/assessments/{assessment.pk}/"
    open_for_offline(page, path)
    codes = editable_codes(page, 1)[:2]
    page.context.set_offline(True)
    for code in codes:
        choose(page, code, "met")
    expect(banner(page)).to_have_text("离线 · 2 项待同步")
    context = page.context
    page.close()  # head_a leaves the tablet without a network, still signed in

    context.set_offline(False)
    other = context.new_page()
    login(other, "staff_a")
    open_for_offline(other, path)
    other.wait_for_timeout(1000)

    assert not Rating.objects.filter(assessment=assessment).exists()  # never sent under staff_a
    expect(banner(other)).to_have_text("")  # not staff_a's to see or send
    assert {(e["user"], e["code"]) for e in kept(other)} == {(str(cast.head_a.pk), code) for code in codes}
    assert other.evaluate(PAGE_CACHES_JS) == [f"anesqc-pages-{cast.staff_a.pk}"]  # head_a's pages are gone

    # head_a signs in again on this browser: what they kept is theirs, and is sent.
    login(other, "head_a")
    other.goto(path)
    expect(other.locator(f"{css_id(codes[1])} .save-state.saved")).to_be_visible(timeout=30_000)
    assert Rating.objects.filter(assessment=assessment, rated_by=cast.head_a).count() == 2
    assert kept(other) == []


def test_signing_out_with_changes_not_yet_sent_asks_first_then_forgets_them(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a")
    open_for_offline(page, f"/assessments/{assessment.pk}/")
    code = editable_codes(page, 1)[0]
    page.route("**/criteria/*/", lambda route: route.abort("internetdisconnected"))  # the network drops unnoticed
    choose(page, code, "met")
    expect(banner(page)).to_have_text("离线 · 1 项待同步")  # the server did not answer: offline
    expect(page.locator(f"{css_id(code)} .save-state")).to_contain_text("已保存在本设备")

    messages: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        messages.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.locator("form[data-logout]").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert "有 1 项修改尚未同步" in messages[0]
    assert "/assessments/" in page.url and len(kept(page)) == 1  # stayed, nothing lost

    page.once("dialog", lambda dialog: answer(dialog, True))
    with page.expect_navigation():
        page.locator("form[data-logout]").evaluate("form => form.requestSubmit()")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert kept(page) == []
    assert page.evaluate(PAGE_CACHES_JS) == []
    assert not Rating.objects.filter(assessment=assessment).exists()
