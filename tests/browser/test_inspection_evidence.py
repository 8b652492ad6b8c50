"""On a tablet, an inspector takes a photo as inspection evidence on a criterion and sees it listed (issue 13, point 5)."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from scoring.models import AssessmentKind
from tests.browser.conftest import open_details
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.evidence.conftest import JPEG_BYTES, attach, pdf, png
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODE = "1.1-1-2"


def test_an_inspector_takes_a_photo_on_a_criterion_and_sees_it_listed(
    cast: Cast, page_for: PageFor, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    # The department's self-assessment of the same year, with two files of its own on the criterion.
    own = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, year=inspection.year)
    attach(cast.head_a, own, pdf(), png(), code=CODE)
    page = page_for("inspector", width=768)
    page.goto(f"/assessments/{inspection.pk}/")

    box = open_details(page, CODE)
    block = box.locator(".inspection-evidence")
    expect(block).to_contain_text("检查组尚未上传现场佐证")
    camera = block.get_by_label("拍照")
    assert camera.get_attribute("capture") == "environment" and camera.get_attribute("accept") == "image/*"
    expect(block.get_by_label("选择文件")).to_be_attached()
    camera.set_input_files(files=[{"name": "麻醉机.jpg", "mimeType": "image/jpeg", "buffer": JPEG_BYTES}])
    block.get_by_role("button", name="上传现场佐证").click()

    block = box.locator(".inspection-evidence")
    expect(block.locator(".message-success")).to_contain_text("已上传 1 个文件")
    expect(block.locator(".evidence-item")).to_have_count(1)
    expect(block.locator(".evidence-name")).to_have_text("麻醉机.jpg")
    expect(block.locator(".evidence-preview img")).to_be_visible()
    # The line's count is the department's files, still two; the department's block still lists its own.
    expect(box.locator("[data-evidence-count]")).to_have_text("佐证 2")
    expect(box.locator(f"#evidence-{CODE.replace('.', chr(92) + '.')} .evidence-item")).to_have_count(2)
    # The rating of the criterion is untouched, and nothing offers to review the inspector's own file.
    expect(box.locator(".save-state")).not_to_contain_text("保存失败")
    expect(block.get_by_role("button", name="认可")).to_have_count(0)
    # A reload still lists it.
    page.reload()
    box = open_details(page, CODE)
    expect(box.locator(".inspection-evidence .evidence-name")).to_have_text("麻醉机.jpg")
