"""A report requested in the browser: the status polls itself (htmx) until the PDF can be downloaded.

The render is done in the test process (`report_run`, what the worker does) while the page polls;
tests/reports/test_worker.py renders through a real worker. The broker is a dead port here, so the
request also shows that the page works while the broker is down.
"""

import pytest
from playwright.sync_api import expect

from reports import services
from reports.models import JobStatus, ReportJob
from tests.browser.conftest import screenshots
from tests.browser.test_accessibility import violations
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.reports.brokers import broker, free_port
from tests.reports.conftest import finalized_inspection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_report_requested_on_the_result_page_turns_into_a_download(cast: Cast, page_for: PageFor) -> None:
    inspection = finalized_inspection(cast, cast.hospital_a)
    page = page_for("head_a", width=768)
    with broker(f"redis://127.0.0.1:{free_port()}/0"):
        page.goto(f"/assessments/{inspection.pk}/result/")
        page.get_by_role("button", name="生成 PDF 报告").click()
        status = page.locator(".report-status").first
        expect(status).to_contain_text("排队中")
        expect(status.locator("progress")).to_be_visible()
    job = ReportJob.objects.get()
    assert services.report_run(job_id=job.pk, worker="test").status == "done"
    expect(status.get_by_role("button", name="下载 PDF")).to_be_visible()  # swapped in by the next poll
    job.refresh_from_db()
    expect(status).to_contain_text(job.sha256)
    with page.expect_download() as download:
        status.get_by_role("button", name="下载 PDF").click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
    screenshots(page, "report-result-panel")

    page.goto("/reports/")
    expect(page.locator("main")).to_contain_text(job.content_sha256)
    assert violations(page) == []
    page.goto(f"/reports/{job.pk}/")
    expect(page.locator("main")).to_contain_text(job.sha256)
    assert violations(page) == []
    screenshots(page, "report-detail")
    assert job.status == JobStatus.DONE
