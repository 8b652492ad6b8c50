"""Evidence files in real Chromium: downloads are attachments, while thumbnails and previews still show.

Downloads carry `Content-Disposition: attachment` (issue 7); the evidence block asks for
`?preview=1` where it shows a file in the page (thumbnails, the PDF viewer, "open in a new window").
Previews are sandboxed by their Content-Security-Policy (issue 12), and Chromium's PDF viewer still
draws a PDF under it: the test looks for the page's blue box on screen.
"""

import io
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import SCREENSHOTS, open_details
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.evidence.conftest import DOCX_BYTES, attach, image_bytes, pdf_bytes, upload_file
from tests.factories import AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_thumbnails_and_previews_show_and_file_links_download(
    cast: Cast, page_for: PageFor, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    image, document = attach(
        cast.head_a,
        assessment,
        upload_file("照片.png", image_bytes("PNG", (64, 48))),
        upload_file("记录.docx", DOCX_BYTES),
    )
    page = page_for("head_a")
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    open_details(page, "1.1-1-1")  # evidence is in the criterion's details
    thumbnail = page.locator(f"#evidence-item-{image.pk} img")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete", arg=thumbnail.element_handle())
    assert thumbnail.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [64, 48]

    with page.expect_download() as download:
        page.locator(f"#evidence-item-{document.pk} a.evidence-name").click()
    assert download.value.suggested_filename == "记录.docx"

    # The image's own URL downloads; its preview is shown as an image in the tab.
    with page.expect_download() as download:
        page.evaluate(f"location.href = '/evidence/{image.pk}/'")
    assert download.value.suggested_filename == "照片.png"
    preview = page.context.new_page()
    response = preview.goto(f"/evidence/{image.pk}/?preview=1")
    assert response is not None and response.headers["content-type"] == "image/png"
    assert preview.locator("img").evaluate("img => img.naturalWidth") == 64


def blue_pixels(target: Page | Locator) -> int:
    """How many pure-blue pixels a screenshot of the page or element has (the test PDF's box is 0 0 1 rg)."""
    shot = Image.open(io.BytesIO(target.screenshot())).convert("RGB")
    return sum(count for count, (r, g, b) in shot.getcolors(1 << 24) or [] if b > 200 and r < 60 and g < 60)


def wait_for_blue(target: Page | Locator, seconds: float = 10) -> int:
    """The PDF viewer draws a moment after the load: take screenshots until the box shows (or give up)."""
    deadline = time.monotonic() + seconds
    while (found := blue_pixels(target)) < 5000 and time.monotonic() < deadline:
        time.sleep(0.25)
    return found


def test_a_pdf_preview_is_drawn_in_place_and_in_its_own_tab_under_its_sandbox(
    cast: Cast, page_for: PageFor, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    [document] = attach(cast.head_a, assessment, upload_file("制度.pdf", pdf_bytes("Policy", blue_box=True)))
    page = page_for("head_a")
    page.goto(f"/assessments/{assessment.pk}/chapters/1/")
    open_details(page, "1.1-1-1")
    item = page.locator(f"#evidence-item-{document.pk}")
    assert blue_pixels(item) == 0
    with page.expect_response(lambda r: r.url.endswith(f"/evidence/{document.pk}/?preview=1")) as preview:
        item.locator(".evidence-pdf summary").click()
    policy = preview.value.all_headers()["content-security-policy"]  # `headers` leaves security headers out
    assert "sandbox" in policy and "frame-ancestors 'self'" in policy
    assert wait_for_blue(item.locator("object")) > 5000  # drawn inside the page's <object>
    item.screenshot(path=str(SCREENSHOTS / "evidence-pdf-preview.png"))  # a full-page shot would re-lay the viewer out

    tab = page.context.new_page()
    response = tab.goto(f"/evidence/{document.pk}/?preview=1")
    assert response is not None and response.headers["content-type"] == "application/pdf"
    assert "sandbox" in response.all_headers()["content-security-policy"]
    assert wait_for_blue(tab) > 5000  # and in a tab of its own ("open in a new window")
