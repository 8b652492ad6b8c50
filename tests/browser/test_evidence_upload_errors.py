"""A failed evidence upload explains itself at the upload control; the rating's save state is not touched (issue 13, D8).

The server's own refusals (a file of the wrong kind, too large) come back as the block with its message.
What never reaches the view — a proxy's 413, a server error, a dropped connection — used to turn the
criterion's rating state red ("保存失败") and say nothing at the upload control.
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from evidence.models import Evidence
from tests.browser.conftest import css_id, open_details
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.evidence.conftest import PNG_BYTES
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODE = "1.1-1-2"


def choose_and_upload(page: Page) -> None:
    open_details(page, CODE)  # the evidence is in the criterion's details
    block = page.locator(f"#evidence-{CODE.replace('.', chr(92) + '.')}")
    block.locator("input[type=file]").set_input_files(
        files=[{"name": "照片.png", "mimeType": "image/png", "buffer": PNG_BYTES}]
    )
    block.locator(".evidence-upload button[type=submit]").click()


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        ("too_large", "超过服务器允许的上限"),
        ("server_error", "服务器出错"),
        ("network", "网络连接失败"),
    ],
)
def test_a_failed_upload_says_so_at_the_upload_control_and_leaves_the_rating_alone(
    cast: Cast, page_for: PageFor, settings: Any, tmp_path: Path, failure: str, message: str
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a")
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    open_details(page, CODE)  # the upload control is in the criterion's details

    def fail(route: Route) -> None:
        if failure == "network":
            route.abort("connectionreset")
        else:
            status = 413 if failure == "too_large" else 500
            route.fulfill(status=status, content_type="text/html", body="<h1>error</h1>")

    page.route(f"**/assessments/{assessment.pk}/criteria/{CODE}/evidence/", fail)
    choose_and_upload(page)
    box = page.locator(css_id(CODE))
    alert = box.locator(".evidence-upload [role=alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(message)
    expect(alert).to_contain_text("照片.png")  # names what was not uploaded
    state = box.locator(".save-state")
    expect(state).not_to_have_class("save-state failed")
    expect(state).not_to_contain_text("保存失败")
    expect(state).not_to_contain_text("网络连接失败")
    expect(box.locator(".evidence-progress")).to_be_hidden()

    # Once the server answers again the upload goes through and the message is gone. A file the network lost
    # was kept on the device (static/js/offline.js) and is sent by itself, once; any other is chosen again.
    page.unroute(f"**/assessments/{assessment.pk}/criteria/{CODE}/evidence/")
    if failure != "network":
        choose_and_upload(page)
    expect(box.locator(".evidence-block .message-success")).to_contain_text("已上传 1 个文件", timeout=20_000)
    assert Evidence.objects.filter(assessment=assessment).count() == 1
    expect(box.locator(".evidence-upload [role=alert]")).to_be_hidden()
