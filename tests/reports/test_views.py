"""Report pages and API endpoints through their real URLs, for every member of the cast, own and foreign hospital."""

import hashlib
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from reports.models import JobStatus, ReportJob, ReportKind
from rounds.models import InspectionRound
from scoring.models import Assessment, AssessmentKind
from tests.conftest import CAST, Cast
from tests.reports.factories import ReportJobFactory
from tests.scoring.factories import AssessmentFactory

from .conftest import make_round

pytestmark = pytest.mark.django_db
LOGIN = 302
A, B = "A", "B"
PDF = b"%PDF-1.4\n% a stand-in file: these tests are about access, rendering has its own\n%%EOF\n"


def done_job(kind: str, *, assessment: Assessment | None = None, rnd: InspectionRound | None = None) -> ReportJob:
    """A finished job with a small file in storage, as a render would leave it."""
    job = ReportJobFactory(kind=kind, assessment=assessment, round=rnd, progress=100)
    job.file.save(f"{job.pk}/1.pdf", ContentFile(PDF), save=False)
    sha = hashlib.sha256(PDF).hexdigest()
    ReportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, file=job.file.name, size=len(PDF), sha256=sha, content_sha256="c" * 64
    )
    job.refresh_from_db()
    return job


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


@pytest.fixture
def world(cast: Cast) -> dict[str, Any]:
    """For each hospital: an inspection, a finished report of it, a round of that hospital and its summary report."""
    out: dict[str, Any] = {}
    for key, hospital in ((A, cast.hospital_a), (B, cast.hospital_b)):
        # Finalized: a department sees its inspection and its reports from then on (issue 12).
        rnd = make_round(cast, hospital, finalize=True, name=f"轮次 {key}")
        inspection = rnd.entries.get().inspection
        out[key] = {
            "assessment": inspection,
            "job": done_job(ReportKind.ASSESSMENT, assessment=inspection),
            "round": rnd,
            "round_job": done_job(ReportKind.ROUND_SUMMARY, rnd=rnd),
        }
    return out


# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
OWN_A = (200, 200, 404, 200, 200, 404, LOGIN)
OWN_B = (200, 404, 404, 404, 404, 200, LOGIN)
QC_ONLY = (200, 404, 404, 404, 404, 404, LOGIN)
PAGES = {
    "list": {A: (200, 200, 200, 200, 200, 200, LOGIN)},
    "detail": {A: OWN_A, B: OWN_B},
    # An htmx poll whose session has expired answers 401 (common.middleware), not the login page.
    "status-fragment": {A: (*OWN_A[:-1], 401), B: (*OWN_B[:-1], 401)},
    "download": {A: OWN_A, B: OWN_B},
    "round-report-detail": {A: QC_ONLY, B: QC_ONLY},
    "round-report-download": {A: QC_ONLY, B: QC_ONLY},
    "request": {A: (302, 302, 404, 302, 302, 404, LOGIN), B: (302, 404, 404, 404, 404, 302, LOGIN)},
    # The round is visible to its hospital's people, who may not request its (all-hospital) reports.
    "round-request": {A: (302, 403, 404, 403, 403, 404, LOGIN), B: (302, 404, 404, 404, 404, 403, LOGIN)},
    "result-page": {A: OWN_A, B: OWN_B},
    "round-page": {A: (200, 200, 404, 200, 200, 404, LOGIN), B: (200, 404, 404, 404, 404, 200, LOGIN)},
}


@pytest.mark.parametrize(("page", "hospital", "who"), [(p, h, w) for p in PAGES for h in PAGES[p] for w in CAST])
def test_report_page_permissions(cast: Cast, world: dict[str, Any], page: str, hospital: str, who: str) -> None:
    w = world[hospital]
    client = browser(cast, who)
    urls = {
        "list": ("get", "/reports/", {}),
        "detail": ("get", f"/reports/{w['job'].pk}/", {}),
        "download": ("get", f"/reports/{w['job'].pk}/download/", {}),
        "round-report-detail": ("get", f"/reports/{w['round_job'].pk}/", {}),
        "round-report-download": ("get", f"/reports/{w['round_job'].pk}/download/", {}),
        "request": ("post", f"/assessments/{w['assessment'].pk}/reports/", {}),
        "round-request": ("post", f"/rounds/{w['round'].pk}/reports/", {"kind": "round_summary"}),
        "result-page": ("get", f"/assessments/{w['assessment'].pk}/result/", {}),
        "round-page": ("get", f"/rounds/{w['round'].pk}/", {}),
    }
    if page == "status-fragment":
        response = client.get(f"/reports/{w['job'].pk}/", HTTP_HX_REQUEST="true")
    else:
        method, url, data = urls[page]
        response = getattr(client, method)(url, data)
    expected = PAGES[page][hospital][CAST.index(who)]
    assert response.status_code == expected, (page, hospital, who)
    if who == "anonymous" and expected == LOGIN:
        assert response.url.startswith("/accounts/login/")


API_OWN_A = (200, 200, 404, 200, 200, 404, 401)
API_OWN_B = (200, 404, 404, 404, 404, 200, 401)
API = {
    "list": {A: (200, 200, 200, 200, 200, 200, 401)},
    "detail": {A: API_OWN_A, B: API_OWN_B},
    "download": {A: API_OWN_A, B: API_OWN_B},
    "round-report-detail": {A: (200, 404, 404, 404, 404, 404, 401)},
    "assessment-reports": {A: API_OWN_A, B: API_OWN_B},
    "request": {A: (202, 202, 404, 202, 202, 404, 401), B: (202, 404, 404, 404, 404, 202, 401)},
    "round-request": {A: (202, 403, 404, 403, 403, 404, 401), B: (202, 404, 404, 404, 404, 403, 401)},
}


@pytest.mark.parametrize(("endpoint", "hospital", "who"), [(e, h, w) for e in API for h in API[e] for w in CAST])
def test_report_api_permissions(cast: Cast, world: dict[str, Any], endpoint: str, hospital: str, who: str) -> None:
    w = world[hospital]
    client = cast.client(who)
    calls = {
        "list": ("get", "/api/v1/reports/", None),
        "detail": ("get", f"/api/v1/reports/{w['job'].pk}/", None),
        "download": ("get", f"/api/v1/reports/{w['job'].pk}/download/", None),
        "round-report-detail": ("get", f"/api/v1/reports/{w['round_job'].pk}/", None),
        "assessment-reports": ("get", f"/api/v1/assessments/{w['assessment'].pk}/reports/", None),
        "request": ("post", f"/api/v1/assessments/{w['assessment'].pk}/reports/", None),
        "round-request": ("post", f"/api/v1/rounds/{w['round'].pk}/reports/", {"kind": "round_bulk"}),
    }
    method, url, data = calls[endpoint]
    response = getattr(client, method)(url, data, format="json") if method == "post" else client.get(url)
    assert response.status_code == API[endpoint][hospital][CAST.index(who)], (endpoint, hospital, who)


def test_the_api_answers_202_with_the_job_and_then_its_status_and_download_link(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = cast.client("head_a")
    created = client.post(f"/api/v1/assessments/{assessment.pk}/reports/")
    assert created.status_code == 202
    body = created.json()
    assert (body["kind"], body["status"], body["progress"], body["download_url"]) == ("assessment", "pending", 0, None)
    assert body["url"].endswith(f"/api/v1/reports/{body['id']}/")
    job = ReportJob.objects.get(pk=body["id"])
    assert job.requested_by == cast.head_a
    done = done_job(ReportKind.ASSESSMENT, assessment=assessment)
    status = client.get(f"/api/v1/reports/{done.pk}/").json()
    assert status["status"] == "done" and status["sha256"] == done.sha256
    download = client.get(status["download_url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"


def test_downloads_are_audited_and_carry_the_checksum(cast: Cast, world: dict[str, Any]) -> None:
    job = world[A]["job"]
    response = browser(cast, "staff_a").get(f"/reports/{job.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    assert response["Repr-Digest"].startswith("sha-256=:")
    event = AuditEvent.objects.get(action="report.download")
    assert (event.actor, event.object_id, event.after) == (cast.staff_a, str(job.pk), {"sha256": job.sha256})


def test_an_unfinished_report_has_nothing_to_download(cast: Cast) -> None:
    job = ReportJobFactory(assessment=AssessmentFactory(hospital=cast.hospital_a))
    assert browser(cast, "head_a").get(f"/reports/{job.pk}/download/").status_code == 404
    assert cast.client("head_a").get(f"/api/v1/reports/{job.pk}/download/").status_code == 404


def test_the_status_fragment_polls_until_the_job_has_finished(cast: Cast, world: dict[str, Any]) -> None:
    pending = ReportJobFactory(assessment=AssessmentFactory(hospital=cast.hospital_a, year=2025), progress=30)
    client = browser(cast, "head_a")
    fragment = client.get(f"/reports/{pending.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert 'hx-trigger="every 2s"' in fragment and 'value="30"' in fragment
    done = client.get(f"/reports/{world[A]['job'].pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and world[A]["job"].sha256 in done and "/download/" in done


def test_requesting_from_the_result_page_answers_the_live_list_for_htmx(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = browser(cast, "head_a")
    page = client.get(f"/assessments/{assessment.pk}/result/").content.decode()
    assert f'hx-post="/assessments/{assessment.pk}/reports/"' in page
    answer = client.post(f"/assessments/{assessment.pk}/reports/", HTTP_HX_REQUEST="true").content.decode()
    job = ReportJob.objects.get()
    assert f'id="report-job-{job.pk}"' in answer and 'hx-trigger="every 2s"' in answer
    # Without JavaScript the form leads to the report's page.
    again = client.post(f"/assessments/{assessment.pk}/reports/")
    assert again.status_code == 302 and again.url == f"/reports/{job.pk}/"


def test_the_round_page_offers_round_reports_to_the_qc_centre_only(cast: Cast, world: dict[str, Any]) -> None:
    url = f"/rounds/{world[A]['round'].pk}/"
    assert 'value="round_bulk"' in browser(cast, "qc_admin").get(url).content.decode()
    assert 'value="round_bulk"' not in browser(cast, "head_a").get(url).content.decode()


def test_an_unknown_round_report_kind_is_refused(cast: Cast, world: dict[str, Any]) -> None:
    response = browser(cast, "qc_admin").post(f"/rounds/{world[A]['round'].pk}/reports/", {"kind": "assessment"})
    assert response.status_code == 400
    api = cast.client("qc_admin").post(f"/api/v1/rounds/{world[A]['round'].pk}/reports/", {"kind": "x"}, format="json")
    assert api.status_code == 400 and "kind" in api.json()


def test_a_printed_checksum_finds_its_report_in_the_list(cast: Cast, world: dict[str, Any]) -> None:
    job = world[A]["job"]
    ReportJob.objects.filter(pk=job.pk).update(content_sha256="ab" * 32)
    page = browser(cast, "head_a").get("/reports/", {"sha256": "AB" * 32}).content.decode()
    assert f"R{job.pk:06d}" in page and job.sha256 in page
    other = browser(cast, "head_a").get("/reports/", {"sha256": "cd" * 32}).content.decode()
    assert f"R{job.pk:06d}" not in other
    api = cast.client("head_a").get("/api/v1/reports/", {"sha256": job.sha256}).json()
    assert [r["id"] for r in api["results"]] == [job.pk]


def test_a_bulk_request_is_one_row_for_the_qc_centre_and_shows_its_progress(cast: Cast) -> None:
    # Finalized: a department sees its inspection's report only then (issue 12).
    rnd = make_round(cast, cast.hospital_a, cast.hospital_b, finalize=True)
    response = browser(cast, "qc_admin").post(f"/rounds/{rnd.pk}/reports/", {"kind": "round_bulk"})
    parent = ReportJob.objects.get(kind=ReportKind.ROUND_BULK)
    assert response.url == f"/reports/{parent.pk}/"
    assert parent.children.count() == 3
    page = browser(cast, "qc_admin").get(f"/reports/{parent.pk}/").content.decode()
    assert "已完成 0 / 3 份" in page and "甲医院" in page and "乙医院" in page
    listing = browser(cast, "qc_admin").get("/reports/").content.decode()
    # The children are inside the bulk request: one report number listed (a bare "R0" also matched the CSRF token).
    assert len(re.findall(r"\bR\d{6}\b", listing)) == 1
    # A department sees its own hospital's report from the bulk request, and nothing of the others.
    own = browser(cast, "head_b").get("/reports/").content.decode()
    assert "乙医院" in own and "甲医院" not in own


def add_jobs(cast: Cast, n: int) -> None:
    for i in range(n):
        assessment = AssessmentFactory(hospital=cast.hospital_a, year=2000 + len(ReportJob.objects.all()) + i)
        done_job(ReportKind.ASSESSMENT, assessment=assessment)
        rnd = make_round(cast, finalize=False, name=f"轮次 {assessment.year}")
        done_job(ReportKind.ROUND_SUMMARY, rnd=rnd)
        bulk = ReportJobFactory(kind=ReportKind.ROUND_BULK, round=rnd)
        ReportJobFactory(kind=ReportKind.ROUND_SUMMARY, round=rnd, parent=bulk)


@pytest.mark.parametrize("who", ["qc_admin", "head_a"])
def test_the_list_page_and_api_take_the_same_queries_for_n_and_2n_reports(
    cast: Cast, who: str, django_assert_max_num_queries: Any
) -> None:
    client, api = browser(cast, who), cast.client(who)
    counts = []
    for n in (3, 3):
        add_jobs(cast, n)
        # Session, user, the count for the paginator, the jobs with their bulk counts.
        with CaptureQueriesContext(connection) as page, django_assert_max_num_queries(4):
            assert client.get("/reports/").status_code == 200
        # Token with user, the count, the jobs.
        with CaptureQueriesContext(connection) as listing, django_assert_max_num_queries(3):
            assert api.get("/api/v1/reports/").status_code == 200
        counts.append((len(page.captured_queries), len(listing.captured_queries)))
    assert counts[0] == counts[1], counts


def test_the_detail_page_takes_a_constant_number_of_queries(
    cast: Cast, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = browser(cast, "head_a")
    # Session, user, the job with its bulk counts.
    with django_assert_max_num_queries(3):
        assert client.get(f"/reports/{world[A]['job'].pk}/").status_code == 200


def test_a_self_assessment_report_is_visible_to_its_department(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    job = done_job(ReportKind.ASSESSMENT, assessment=own)
    assert browser(cast, "head_b").get(f"/reports/{job.pk}/").status_code == 200
    assert browser(cast, "head_a").get(f"/reports/{job.pk}/").status_code == 404
