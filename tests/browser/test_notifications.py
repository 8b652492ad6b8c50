"""Notifications in a real browser: the inspector returns a criterion; the head's bell shows 1; following it
lands on that criterion, and the bell is quiet again."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import css_id, open_details, screenshot, screenshots
from tests.conftest import Cast
from tests.notifications.conftest import submitted_self

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "1.1-1-3"


def test_the_inspector_returns_a_criterion_and_the_heads_bell_leads_to_it(
    cast: Cast, page_for: Callable[..., Page]
) -> None:
    assessment = submitted_self(cast)

    inspector = page_for("inspector")
    inspector.goto(f"/assessments/{assessment.pk}/")
    box = open_details(inspector, CODE)
    box.locator("summary", has_text="退回科室修改").click()
    box.locator("textarea[name=reason]").fill("请补充科室会议记录")
    box.get_by_role("button", name="退回此细则").click()
    expect(inspector.locator(".messages")).to_contain_text(f"已将 {CODE} 退回科室")
    # The one who acted hears nothing of it: the inspector's one notification is the submission.
    expect(inspector.locator("#notification-bell .bell-count")).to_have_text("1")

    head = page_for("head_a")
    bell = head.locator("#notification-bell")
    expect(bell.locator(".bell-count")).to_have_text("1")
    screenshots(head, "notification-bell")
    bell.click()
    head.wait_for_url("**/notifications/")
    entry = head.locator(".notification.is-unread")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("请补充科室会议记录")
    screenshot(head, "notification-inbox")

    entry.locator("button.notification-open").click()
    head.wait_for_url(f"**/assessments/{assessment.pk}/#c-{CODE}")
    expect(head.locator(css_id(CODE))).to_be_visible()
    expect(head.locator(css_id(CODE))).to_contain_text("请补充科室会议记录")
    expect(head.locator("#notification-bell")).to_have_attribute("data-unread", "0")
