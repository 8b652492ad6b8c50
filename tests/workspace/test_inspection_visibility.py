"""A department sees its inspection once it is finalized (issue 12, "decide and document").

Until then the ratings and remarks are the inspectors' working notes, and a submitted inspection may
still be reopened: the pages, API, history, sheet, variance and reports of a draft, submitted or
returned inspection answer the department 404 or leave the inspection out. The QC side sees it all along.
"""

import pytest
from django.test import Client

from reports.content import assessment_report
from reports.models import ReportJob, ReportKind
from scoring.models import AssessmentKind
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def _pair(cast: Cast):
    self_assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF, year=2026)
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2026)
    rate_all(self_assessment)
    rate_all(inspection, rating="unmet")
    return self_assessment, inspection


@pytest.mark.parametrize("who", ["head_a", "staff_a"])
def test_a_department_cannot_open_its_inspection_before_it_is_finalized(cast: Cast, who: str) -> None:
    _self, inspection = _pair(cast)
    pk = inspection.pk
    for url in (
        f"/assessments/{pk}/",
        f"/assessments/{pk}/result/",
        f"/assessments/{pk}/history/",
        f"/assessments/{pk}/history.csv",
        f"/assessments/{pk}/sheet.xlsx",
    ):
        assert browser(cast, who).get(url).status_code == 404, url
    for url in (
        f"/api/v1/assessments/{pk}/",
        f"/api/v1/assessments/{pk}/ratings/",
        f"/api/v1/assessments/{pk}/result/",
    ):
        assert cast.client(who).get(url).status_code == 404, url
    assert pk not in [a["id"] for a in cast.client(who).get("/api/v1/assessments/").json()["results"]]
    assert cast.client(who).post(f"/api/v1/assessments/{pk}/reports/").status_code == 404

    assessment_submit(actor=cast.qc_admin, assessment=inspection)
    assert browser(cast, who).get(f"/assessments/{pk}/").status_code == 404  # submitted: still the inspectors'
    assessment_finalize(actor=cast.qc_admin, assessment=inspection)
    assert browser(cast, who).get(f"/assessments/{pk}/").status_code == 200
    assert cast.client(who).get(f"/api/v1/assessments/{pk}/ratings/").status_code == 200


def test_the_qc_side_sees_the_inspection_all_along(cast: Cast) -> None:
    _self, inspection = _pair(cast)
    for who in ("qc_admin", "inspector"):
        assert browser(cast, who).get(f"/assessments/{inspection.pk}/").status_code == 200


def test_the_variance_page_leaves_the_unfinished_inspection_out_for_the_department(cast: Cast) -> None:
    self_assessment, inspection = _pair(cast)
    url = f"/assessments/{self_assessment.pk}/variance/"

    department = browser(cast, "head_a").get(url)
    assert department.status_code == 200 and department.context["variance"] is None
    assert browser(cast, "inspector").get(url).context["variance"] is not None

    assessment_finalize(actor=cast.qc_admin, assessment=assessment_submit(actor=cast.qc_admin, assessment=inspection))
    assert browser(cast, "head_a").get(url).context["variance"] is not None


def test_a_report_prints_the_variance_only_against_a_finalized_inspection(cast: Cast) -> None:
    self_assessment, inspection = _pair(cast)
    job = ReportJob.objects.create(kind=ReportKind.ASSESSMENT, assessment=self_assessment, requested_by=cast.qc_admin)

    assert assessment_report(self_assessment, job_id=job.pk, generated_at=None)["variance"] is None
    assessment_finalize(actor=cast.qc_admin, assessment=assessment_submit(actor=cast.qc_admin, assessment=inspection))
    assert assessment_report(self_assessment, job_id=job.pk, generated_at=None)["variance"] is not None


def test_a_department_does_not_see_reports_of_an_unfinished_inspection(cast: Cast) -> None:
    _self, inspection = _pair(cast)
    job = ReportJob.objects.create(kind=ReportKind.ASSESSMENT, assessment=inspection, requested_by=cast.qc_admin)

    assert browser(cast, "head_a").get(f"/reports/{job.pk}/").status_code == 404
    assert browser(cast, "qc_admin").get(f"/reports/{job.pk}/").status_code == 200
