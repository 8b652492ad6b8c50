"""A department fills its profile, sees the shortfall where it rates, fixes a number and sees it met;
the inspector sees the same suggestion. Real Chromium, htmx saves."""

import pytest
from playwright.sync_api import expect

from scoring.models import AssessmentKind
from tests.browser.conftest import open_details, screenshots
from tests.browser.test_accessibility import violations
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_profile_shortfall_fixed_and_seen_by_the_inspector(cast: Cast, page_for: PageFor) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    page = page_for("head_a")
    page.goto("/profiles/?year=2026")  # a department lands on its own profile
    expect(page.get_by_test_id("empty")).to_contain_text("本年度尚未填写科室概况")
    page.get_by_label("AICU 床位").fill("10")
    page.get_by_label("AICU 护士").fill("24")
    page.get_by_label("AICU 医师").fill("7")
    page.get_by_role("button", name="保存并测算").click()
    expect(page.get_by_role("status")).to_contain_text("科室概况已保存")
    expect(page.locator('[data-code="2.1-3-1"]')).to_contain_text("需 30 名，现 24 名，缺 6 名")
    expect(page.locator('[data-code="2.1-3-2"]')).to_contain_text("达标")
    screenshots(page, "profile")
    assert violations(page) == []

    page.goto(f"/assessments/{own.pk}/chapters/2/")
    open_details(page, "2.1-3-1")  # suggestions are in the criterion's details
    suggestion = page.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")
    expect(suggestion).to_contain_text("未达标")
    expect(suggestion).to_contain_text("缺 6 名")
    suggestion.get_by_role("link", name="查看或修改科室概况").click()

    page.get_by_label("AICU 护士").fill("30")
    page.get_by_role("button", name="保存并测算").click()
    expect(page.locator('[data-code="2.1-3-1"]')).to_contain_text("需 30 名，现 30 名，达标")
    page.goto(f"/assessments/{own.pk}/chapters/2/")
    expect(page.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")).to_contain_text("达标")
    expect(page.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")).not_to_contain_text("缺")

    inspector = page_for("inspector")
    inspector.goto(f"/assessments/{inspection.pk}/chapters/2/")
    seen = inspector.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")
    expect(seen).to_contain_text("需 30 名，现 30 名，达标")
    # Rating against the suggestion asks for a reason; with one it saves.
    inspector.locator("#rating-2\\.1-3-1-unmet").check()
    expect(inspector.locator("#c-2\\.1-3-1")).to_contain_text("评定与系统测算建议不同，请在备注中说明理由")
    inspector.locator("#remark-2\\.1-3-1").fill("现场核查仅 26 名在岗")
    inspector.locator("#rating-2\\.1-3-1-unmet").dispatch_event("change")
    expect(inspector.locator("#c-2\\.1-3-1 .save-state")).to_contain_text("已保存")
