"""A whole inspection round in a real browser, as the issue's acceptance describes it.

1. The QC centre creates a round, adds a hospital and makes an inspector the lead.
2. The department head rates every criterion, uploads evidence, and submits.
3. The inspector rates every criterion, rejects the evidence with a reason, returns one criterion.
4. The department answers the return and resubmits.
5. The inspector finalizes.
6. The totals and outcome shown equal the engine's.
7. Editing is refused afterwards.
8. A rectification item is answered by the department and closed by the inspector.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from evidence.models import Evidence
from rectification.models import RectificationItem
from rounds.models import RoundHospital
from scoring.models import AssessmentStatus, Chapter, Rating
from scoring.selectors import assessment_result_data
from tests.browser.conftest import css_id, open_details, screenshots
from tests.browser.test_self_assessment import PageFor, codes_on_page, rate
from tests.conftest import Cast
from tests.evidence.conftest import PDF_BYTES as PDF  # a real PDF: uploads are read by qpdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RETURNED = "1.1-1-2"
EVIDENCE_ON = "1.1-1-1"
INSPECTION_UNMET = "2.1-1"  # not ★: the inspection can still pass, with a rectification item


def csrf_token(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def rate_everything(page: Page, pk: int, *, unmet: tuple[str, ...] = ()) -> None:
    """Rate every criterion of every chapter by clicking, met unless listed as unmet."""
    numbers = Chapter.objects.filter(standard__code="cq2011").order_by("number").values_list("number", flat=True)
    for number in numbers:
        page.goto(f"/assessments/{pk}/chapters/{number}/")
        for code in codes_on_page(page):
            rate(page, code, "unmet" if code in unmet else "met", fast_forward=True)


def test_a_round_from_creation_to_closed_rectification(cast: Cast, page_for: PageFor, tmp_path: Path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path

    # 1. The QC centre opens a round over hospital B and makes the inspector its lead.
    admin = page_for("qc_admin")
    admin.goto("/rounds/")
    expect(admin.locator(".empty-state")).to_contain_text("还没有检查轮次")
    admin.get_by_role("button", name="新建检查轮次").click()
    admin.fill("#name", "2026 年度麻醉质控检查")
    admin.fill("#year", "2026")
    admin.fill("#self_assessment_deadline", "2026-05-31")
    admin.fill("#inspection_start", "2026-06-01")
    admin.fill("#inspection_end", "2026-06-30")
    admin.get_by_role("button", name="创建").click()
    admin.wait_for_url(re.compile(r"/rounds/\d+/$"))
    admin.select_option("#add-hospital", label=f"{cast.hospital_b.name}（二级甲等）")
    admin.get_by_role("button", name="添加", exact=True).click()
    expect(admin.locator(".messages")).to_contain_text("已添加")
    admin.locator("details", has_text="指派专家").locator("summary").click()
    admin.select_option("select[name=inspector]", label="inspector")
    admin.check("input[name=is_lead]")
    admin.get_by_role("button", name="指派", exact=True).click()
    expect(admin.locator("#board")).to_contain_text("组长 inspector")
    screenshots(admin, "round-board")
    entry = RoundHospital.objects.get(hospital=cast.hospital_b)
    self_pk, inspection_pk = entry.self_assessment_id, entry.inspection_id

    # 2. The department head rates everything, uploads evidence on one criterion, and submits.
    head = page_for("head_b")
    head.clock.install()
    rate_everything(head, self_pk)
    head.goto(f"/assessments/{self_pk}/")
    card = open_details(head, EVIDENCE_ON)  # evidence is in the criterion's details
    card.locator("input[type=file][name=files]").set_input_files(
        files=[{"name": "建科文件.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    card.get_by_role("button", name="上传").click()
    expect(card.locator(".evidence-list")).to_contain_text("建科文件.pdf")
    head.goto(f"/assessments/{self_pk}/submit/")
    head.get_by_role("button", name="确认提交").click()
    head.wait_for_url(f"**/assessments/{self_pk}/result/")

    # 3. The inspector rates everything beside the department's answers, rejects the evidence, returns one.
    inspector = page_for("inspector")
    inspector.clock.install()
    rate_everything(inspector, inspection_pk, unmet=(INSPECTION_UNMET,))
    inspector.goto(f"/assessments/{inspection_pk}/")
    card = inspector.locator(css_id(EVIDENCE_ON))
    expect(card.locator(".self-rating")).to_contain_text("达标")
    open_details(inspector, EVIDENCE_ON)
    card.locator("input[name=reason]").fill("文件未盖章")
    card.get_by_role("button", name="退回", exact=True).click()
    expect(card.locator(".evidence-list")).to_contain_text("文件未盖章")
    screenshots(inspector, "inspection-beside-self")
    returned = open_details(inspector, RETURNED)
    returned.locator("summary", has_text="退回科室修改").click()
    returned.locator("textarea[name=reason]").fill("请提供医院一级科室文件")
    returned.get_by_role("button", name="退回此细则").click()
    expect(inspector.locator(".messages")).to_contain_text(f"已将 {RETURNED} 退回科室")
    assert Evidence.objects.get().review_status == "rejected"

    # 4. The department sees exactly what was returned, answers it, and resubmits.
    head.goto(f"/assessments/{self_pk}/")
    expect(head.locator("#returns-title")).to_be_visible()
    expect(head.locator("main")).to_contain_text("请提供医院一级科室文件")
    expect(head.locator(f"{css_id('1.1-1-3')} form[hx-post]")).to_have_count(0)  # nothing else reopens
    rate(head, RETURNED, "partial", "15", fast_forward=True)
    head.goto(f"/assessments/{self_pk}/submit/")
    head.get_by_role("button", name="确认提交").click()
    head.wait_for_url(f"**/assessments/{self_pk}/result/")
    assert Rating.objects.get(assessment_id=self_pk, criterion__code=RETURNED).score == 15

    # 5. The lead submits and finalizes the inspection after the confirmation page.
    inspector.goto(f"/assessments/{inspection_pk}/submit/")
    inspector.get_by_role("button", name="确认提交").click()
    inspector.goto(f"/assessments/{inspection_pk}/finalize/")
    expect(inspector.locator("main")).to_contain_text("确认定稿")
    screenshots(inspector, "finalize-confirmation")
    inspector.get_by_role("button", name="确认定稿").click()
    inspector.wait_for_url(f"**/assessments/{inspection_pk}/result/")

    # 6. What the page shows is what the engine says.
    expected = assessment_result_data(entry.inspection)
    expect(inspector.locator("[data-testid=result-total]")).to_have_text(expected["total"])
    expect(inspector.locator("[data-testid=outcome]")).to_have_text(
        "达标" if expected["outcome"] == "pass" else "未达标"
    )
    for chapter in expected["chapters"]:
        expect(inspector.locator(f"[data-testid=chapter-{chapter['number']}]")).to_have_text(chapter["score"])
    assert expected["total"] == "950" and expected["outcome"] == "pass"  # 2A threshold 700; 2.1-1 (50) unmet
    screenshots(inspector, "result-finalized")

    # 7. Editing is refused afterwards.
    inspector.goto(f"/assessments/{inspection_pk}/")
    expect(inspector.locator("form[hx-post]")).to_have_count(0)
    refused = inspector.request.post(
        f"/assessments/{inspection_pk}/criteria/1.1-1-1/",
        form={"rating": "unmet"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf_token(inspector)},
    )
    assert "不能再修改评分" in refused.text()
    entry.inspection.refresh_from_db()
    assert entry.inspection.status == AssessmentStatus.FINALIZED

    # 8. The rectification item for the unmet criterion is answered and closed.
    item = RectificationItem.objects.get(assessment_id=inspection_pk)
    assert item.criterion.code == INSPECTION_UNMET
    head.goto("/rectification/")
    head.get_by_role("link", name=re.compile(rf"打开 {re.escape(INSPECTION_UNMET)}")).click()
    head.fill("#answer", "已按 1:2 补足临床麻醉人员，附排班表")
    head.get_by_role("button", name="提交整改情况").click()
    expect(head.locator("main")).to_contain_text("待核验")
    inspector.goto(f"/rectification/{item.pk}/")
    inspector.get_by_role("button", name="通过销号").click()
    expect(inspector.locator("main")).to_contain_text("已销号")
    item.refresh_from_db()
    assert item.status == "verified"
    screenshots(inspector, "rectification-closed")
