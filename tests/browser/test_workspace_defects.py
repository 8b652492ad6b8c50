"""Defects of the rating workspace (issue 13, item 4), each shown in real Chromium.

Every test here failed on the chapter-by-chapter form that came before the compact workspace.
"""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from audit.models import AuditEvent
from departments.services import profile_save
from scoring.models import AssessmentKind, Rating
from tests.browser.conftest import css_id
from tests.browser.test_self_assessment import PageFor, autosave_of
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIFTEEN = "1.1-1-1"  # a 15-point criterion of chapter 1


def save_form(code: str) -> str:
    return f"form[hx-post$='/criteria/{code}/']"


def test_d1_an_invalid_score_says_why_at_the_field_and_never_claims_a_value_that_is_not_stored(
    cast: Cast, page_for: PageFor
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    box = page.locator(css_id(FIFTEEN))
    box.locator("label:has(input[value=partial])").click()
    score = box.locator("input[name=score]")
    score.fill("7.5")
    with page.expect_response(autosave_of(FIFTEEN)):
        score.press("Tab")
    expect(box.locator(".save-state")).to_contain_text("已保存")

    reasons = {
        "20": "基本达标的得分应大于 0 且小于满分 15",  # out of range on a 15-point item
        "15": "基本达标的得分应大于 0 且小于满分 15",  # the maximum is 达标, not 基本达标
        "7.3": "得分的最小单位为 0.5 分",  # off the half-point step
        "0.3": "得分的最小单位为 0.5 分",
    }
    for typed, reason in reasons.items():
        score = box.locator("input[name=score]")
        score.fill(typed)
        score.press("Tab")
        expect(box.locator(".field-error")).to_contain_text(reason)
        expect(box.locator("input[name=score]")).to_have_value(typed)  # what was typed stays to be corrected
        expect(box.locator(".save-state")).not_to_contain_text("已保存")
        expect(box.locator(".save-state")).to_contain_text("未保存")
        stored = Rating.objects.get(assessment=assessment, criterion__code=FIFTEEN)
        assert (stored.rating, stored.score, stored.version) == ("partial", Decimal("7.5"), 1)

    page.reload()
    expect(page.locator(css_id(FIFTEEN)).locator("input[name=score]")).to_have_value("7.5")


def test_d7_an_anchor_jump_lands_below_the_sticky_totals_bar(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    for width in (768, 1280):
        page = page_for("head_a", width=width)
        page.goto(f"/assessments/{assessment.pk}/chapters/3/#c-3.1-3")
        page.wait_for_load_state("load")
        bar = page.locator("#totals").bounding_box()
        box = page.locator(css_id("3.1-3")).bounding_box()
        assert bar is not None and box is not None
        assert page.evaluate("window.scrollY") > 0  # the page did scroll to the criterion
        assert box["y"] >= bar["y"] + bar["height"] - 1, (width, bar, box)


def test_d9_saving_what_is_stored_writes_no_history_and_keeps_the_version(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=1280)
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    box = page.locator(css_id(FIFTEEN))
    with page.expect_response(autosave_of(FIFTEEN)):
        box.locator("label:has(input[value=met])").click()
    expect(box.locator(".save-state")).to_contain_text("已保存")

    # The same answer again (a field touched and left as it was fires the autosave too).
    with page.expect_response(autosave_of(FIFTEEN)) as again:
        page.locator(save_form(FIFTEEN)).dispatch_event("change")
    assert again.value.status == 200
    expect(page.locator(css_id(FIFTEEN)).locator(".save-state")).to_contain_text("已保存")
    stored = Rating.objects.get(assessment=assessment, criterion__code=FIFTEEN)
    assert (stored.rating, stored.version) == ("met", 1)
    assert AuditEvent.objects.filter(action="rating.set", criterion_code=FIFTEEN).count() == 1


def test_d10_the_score_field_states_the_range_the_rule_accepts(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    box = page.locator(css_id(FIFTEEN))
    box.locator("label:has(input[value=partial])").click()
    field = box.locator(".score-field")
    expect(field).to_be_visible()
    expect(field).to_contain_text("大于 0、小于 15，以 0.5 分为单位")
    expect(field).not_to_contain_text("0–15")


def test_d11_switching_to_partial_asks_for_the_score_at_the_field(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    box = page.locator(css_id(FIFTEEN))
    with page.expect_response(autosave_of(FIFTEEN)):
        box.locator("label:has(input[value=met])").click()
    expect(box.locator(".save-state")).to_contain_text("已保存")

    box = page.locator(css_id(FIFTEEN))
    box.locator("label:has(input[value=partial])").click()
    expect(box.locator("input[name=score]")).to_be_focused()
    expect(box.locator(".save-state")).to_contain_text("请填写得分")
    assert Rating.objects.get(assessment=assessment, criterion__code=FIFTEEN).rating == "met"


def test_d13_only_an_inspection_is_told_to_justify_departing_from_a_suggestion(cast: Cast, page_for: PageFor) -> None:
    # The profile suggests 2.1-3-1 is unmet (24 AICU nurses for 10 beds; 30 needed).
    profile_save(actor=cast.head_a, hospital=cast.hospital_a, year=2026, data={"aicu_beds": 10, "aicu_nurses": 24})
    own = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    justify = "说明理由"

    department = page_for("head_a", width=1280)
    department.goto(f"/assessments/{own.pk}/chapters/2/")
    suggestion = department.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")
    expect(suggestion).to_contain_text("未达标")
    expect(suggestion).not_to_contain_text(justify)
    # The rule agrees: the department saves 达标 against the suggestion without a remark.
    with department.expect_response(autosave_of("2.1-3-1")):
        department.locator("#c-2\\.1-3-1 label:has(input[value=met])").click()
    expect(department.locator("#c-2\\.1-3-1 .save-state")).to_contain_text("已保存")

    inspector = page_for("inspector", width=1280)
    inspector.goto(f"/assessments/{inspection.pk}/chapters/2/")
    expect(inspector.locator("#c-2\\.1-3-1 [data-testid=rule-suggestion]")).to_contain_text(justify)


def test_d19_no_suggestion_hint_without_a_suggestion(cast: Cast, page_for: PageFor) -> None:
    # No indicator values for the year: the indicators have nothing to suggest for 4.2-1-1.
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    page = page_for("inspector", width=1280)
    page.goto(f"/assessments/{inspection.pk}/chapters/4/")
    block = page.locator("#c-4\\.2-1-1 .indicator-suggestion")
    expect(block).to_contain_text("数据不足，无建议")
    expect(block).not_to_contain_text("按指标建议评定即采纳")
