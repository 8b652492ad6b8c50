"""A department's self-assessment in a real browser: create, rate every criterion, submit, read the result.

The scores the pages show are checked against the engine's, computed here from the database.
"""

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from playwright.sync_api import Page, Response, expect

from accounts.models import Role
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.selectors import assessment_result_data
from tests.browser.conftest import css_id, screenshot, screenshots
from tests.conftest import Cast
from tests.factories import AssessmentFactory, AssignmentFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PageFor = Callable[..., Page]

PARTIAL = ("1.1-1-2", "7.5")  # 基本达标 with a half-point score (of 20)
VETO_UNMET = "4.1-7-1"  # a ★ single-item veto, 未达标
OUTCOME_TEXT = {"pass": "达标", "fail": "未达标", "incomplete": "未完成"}
HTMX_DELAY_MS = 300  # each criterion's form autosaves on `change delay:300ms`


def autosave_of(code: str) -> Callable[[Response], bool]:
    return lambda response: response.request.method == "POST" and response.url.endswith(f"/criteria/{code}/")


def rate(page: Page, code: str, rating: str, score: str | None = None, *, fast_forward: bool = False) -> None:
    """Click a rating button of one criterion (typing the score for 基本达标) and wait for the autosave.

    fast_forward: the page's clock is installed (`page.clock.install()`), and htmx's
    300 ms debounce is skipped by advancing it rather than waited out: the same events,
    requests and swaps, a third of the time for the 102 criteria of the full scenario.
    """
    box = page.locator(css_id(code))

    def autosaved(action: Callable[[], None]) -> None:
        with page.expect_response(autosave_of(code)) as answer:
            action()
            if fast_forward:
                page.clock.run_for(HTMX_DELAY_MS)
        assert answer.value.status == 200

    if score is None:
        autosaved(box.locator(f"label:has(input[value={rating}])").click)
    else:
        # 基本达标 waits for its score (the field appears), which saves on leaving the field.
        box.locator(f"label:has(input[value={rating}])").click()
        field = box.locator("input[name=score]")
        field.fill(score)
        autosaved(lambda: field.press("Tab"))
    box.locator(".save-state.saved").wait_for()


def codes_on_page(page: Page) -> list[str]:
    return page.locator("article.criterion").evaluate_all("boxes => boxes.map(b => b.id.slice(2))")


def chapter_codes(assessment: Assessment, number: int) -> list[str]:
    return list(
        Criterion.objects.filter(standard_id=assessment.standard_id, item__chapter__number=number)
        .order_by("position")
        .values_list("code", flat=True)
    )


def test_department_head_rates_every_criterion_submits_and_sees_the_engines_result(
    cast: Cast, new_page: PageFor, page_for: PageFor
) -> None:
    visitor = new_page()
    visitor.goto("/accounts/login/")
    screenshots(visitor, "login")

    page = page_for("head_a")
    page.clock.install()
    screenshots(page, "home")

    page.get_by_role("link", name="评审", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/$"))
    expect(page.locator(".empty-state")).to_contain_text("没有符合条件的评审")
    page.locator("main").get_by_role("button", name="新建评审", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/new/$"))
    page.select_option("#hospital", label="甲医院（三级甲等）")
    expect(page.locator("input[name=kind][value=self]")).to_be_checked()
    page.fill("#year", "2026")
    page.get_by_role("button", name="创建").click()
    page.wait_for_url(re.compile(r"/assessments/\d+/$"))
    pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assessment = Assessment.objects.get(pk=pk)
    assert (assessment.hospital, assessment.kind, assessment.year) == (cast.hospital_a, AssessmentKind.SELF, 2026)
    expect(page.locator(".messages")).to_contain_text("评审已创建")

    total = page.locator("#totals [data-testid=total]")
    expect(total).to_have_text("0")
    # Every chapter is on the one page, in order; hospital A is a key specialty, so the 10 of 3.2 apply too.
    codes = codes_on_page(page)
    assert codes == [code for number in (1, 2, 3, 4, 5) for code in chapter_codes(assessment, number)]
    rated = 0
    for code in codes:
        if code == PARTIAL[0]:
            rate(page, code, "partial", PARTIAL[1], fast_forward=True)
        elif code == VETO_UNMET:
            rate(page, code, "unmet", fast_forward=True)
        else:
            rate(page, code, "met", fast_forward=True)
        rated += 1
        if rated == 1:
            # The totals bar follows each save.
            expect(total).to_have_text(assessment_result_data(assessment)["total"])
    screenshots(page, "workspace")

    assert rated == Rating.objects.filter(assessment=assessment).count() == 102
    partial = Rating.objects.get(assessment=assessment, criterion__code=PARTIAL[0])
    assert (partial.rating, partial.score) == ("partial", Decimal(PARTIAL[1]))
    assert Criterion.objects.get(standard_id=assessment.standard_id, code=VETO_UNMET).veto
    expected = assessment_result_data(assessment)
    assert expected["outcome"] == "fail"
    assert expected["veto_failed"] == [VETO_UNMET]
    expect(total).to_have_text(expected["total"])
    expect(page.locator("#totals")).to_contain_text("102 / 102")

    page.locator(".actions").get_by_role("button", name="提交…").click()
    page.wait_for_url(f"**/assessments/{pk}/submit/")
    expect(page.locator("[data-testid=result-total]")).to_have_text(expected["total"])
    expect(page.locator("#outcome-title + .outcome")).to_contain_text("未达标")
    expect(page.locator("main")).to_contain_text(VETO_UNMET)
    screenshots(page, "submit-confirmation")
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url(f"**/assessments/{pk}/result/")

    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED
    expected = assessment_result_data(assessment)
    expect(page.locator(".messages")).to_contain_text("已提交")
    expect(page.locator("[data-testid=result-total]")).to_have_text(expected["total"])
    expect(page.locator("[data-testid=outcome]")).to_have_text(OUTCOME_TEXT[expected["outcome"]])
    for chapter in expected["chapters"]:
        expect(page.locator(f"[data-testid=chapter-{chapter['number']}]")).to_have_text(chapter["score"])
    screenshots(page, "result")

    # Submitted: the form is read-only, and a save sent anyway is refused and stores nothing.
    page.get_by_role("link", name="查看评分表").click()
    page.wait_for_url(f"**/assessments/{pk}/")
    expect(page.locator("main")).to_contain_text("此评审已提交或定稿，只读。")
    expect(page.locator("article.criterion")).to_have_count(102)
    expect(page.locator("article.criterion form")).to_have_count(0)
    expect(page.locator(f"a[href$='/assessments/{pk}/submit/']")).to_have_count(0)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/assessments/{pk}/criteria/1.1-1-1/",
        form={"rating": "unmet", "version": "1"},
        headers={"X-CSRFToken": csrf, "HX-Request": "true"},
    )
    assert response.status == 200  # the HTML endpoint reports in the fragment; the API answers 409
    assert "评审已提交或已定稿，不能再修改评分。" in response.text()
    assert Rating.objects.get(assessment=assessment, criterion__code="1.1-1-1").rating == "met"
    assert assessment_result_data(assessment) == expected


def test_staff_rate_but_cannot_submit_and_an_inspector_of_another_hospital_finds_nothing(
    cast: Cast, page_for: PageFor
) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    detail = f"/assessments/{assessment.pk}/"

    page = page_for("staff_a", width=768)
    page.goto(detail)
    rate(page, "1.1-1-1", "met")
    assert Rating.objects.get(assessment=assessment, criterion__code="1.1-1-1").rated_by == cast.staff_a
    expect(page.locator("#totals [data-testid=total]")).to_have_text(assessment_result_data(assessment)["total"])
    expect(page.locator(f"a[href='{detail}submit/']")).to_have_count(0)
    response = page.goto(f"{detail}submit/")
    assert response is not None and response.status == 403

    inspector_b = UserFactory(username="inspector_b", role=Role.INSPECTOR, hospital=None)
    AssignmentFactory(inspector=inspector_b, hospital=cast.hospital_b)
    foreign = page_for("inspector_b", width=768)
    for url in (detail, f"{detail}chapters/3/", f"{detail}submit/", f"{detail}result/"):
        response = foreign.goto(url)
        assert response is not None and response.status == 404, url


def test_a_concurrent_save_of_the_same_criterion_is_refused_with_the_other_value(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    chapter = f"/assessments/{assessment.pk}/chapters/1/"
    code = "1.1-1-1"
    head = page_for("head_a")
    staff = page_for("staff_a", width=768)
    head.goto(chapter)
    staff.goto(chapter)

    rate(head, code, "met")
    staff.locator(css_id(code)).locator("label:has(input[value=unmet])").click()
    conflict = staff.locator(css_id(code))
    conflict.locator(".save-state.conflict").wait_for()
    expect(conflict.get_by_role("alert")).to_contain_text("head_a 刚刚已将此细则评为“达标”（15 分）")
    stored = Rating.objects.get(assessment=assessment, criterion__code=code)
    assert (stored.rating, stored.rated_by, stored.version) == ("met", cast.head_a, 1)
    # What staff chose is kept on screen, and they may knowingly overwrite.
    expect(conflict.locator("input[value=unmet]")).to_be_checked()
    screenshot(staff, "form-conflict")
    conflict.get_by_role("button", name="以我的值覆盖").click()
    conflict.locator(".save-state.saved").wait_for()
    stored.refresh_from_db()
    assert (stored.rating, stored.rated_by, stored.version) == ("unmet", cast.staff_a, 2)


def tab_to(page: Page, selector: str, presses: int = 15) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would (a few presses at most)."""
    target = page.locator(selector)
    for _ in range(presses):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of Tab never reached {selector}")


def test_a_rating_can_be_chosen_and_saved_with_the_keyboard(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    # htmx's debounce runs on the page's clock, advanced by hand: a slow machine cannot let
    # it fire between two key presses.
    page.clock.install()
    page.goto(f"/assessments/{assessment.pk}/")

    # Tabbing on from the previous criterion (past its details) enters the next one's rating group at its first option.
    page.focus("#rating-1\\.1-1-1-met")
    tab_to(page, f"{css_id('1.1-1-2')} input[name=rating][value=met]")
    page.keyboard.press("Space")
    with page.expect_response(autosave_of("1.1-1-2")):
        page.clock.run_for(HTMX_DELAY_MS)
    page.locator(f"{css_id('1.1-1-2')} .save-state.saved").wait_for()
    assert Rating.objects.get(assessment=assessment, criterion__code="1.1-1-2").rating == "met"

    # Arrow keys move through the group, selecting as they go; the choice they stop on is saved.
    page.focus("#rating-1\\.1-1-2-met")
    tab_to(page, f"{css_id('1.1-1-3')} input[name=rating][value=met]")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"{css_id('1.1-1-3')} input[value=unmet]")).to_be_checked()
    with page.expect_response(autosave_of("1.1-1-3")):
        page.clock.run_for(HTMX_DELAY_MS)
    page.locator(f"{css_id('1.1-1-3')} .save-state.saved").wait_for()
    assert Rating.objects.get(assessment=assessment, criterion__code="1.1-1-3").rating == "unmet"


def test_focus_stays_on_the_chosen_rating_after_the_autosave(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/")
    met = page.locator(f"{css_id('1.1-1-1')} input[value=met]")
    met.focus()
    page.keyboard.press("Space")
    page.locator(f"{css_id('1.1-1-1')} .save-state.saved").wait_for()
    # Checked at once: htmx restores focus during the swap, so there is nothing to wait for.
    assert met.evaluate("radio => radio === document.activeElement")
