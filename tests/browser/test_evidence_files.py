"""Evidence files in real Chromium: downloads are attachments, while thumbnails and previews still show.

Downloads carry `Content-Disposition: attachment` (issue 7); the evidence block asks for
`?preview=1` where it shows a file in the page (thumbnails, the PDF viewer, "open in a new window").
"""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.evidence.conftest import DOCX_BYTES, attach, image_bytes, upload_file
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
