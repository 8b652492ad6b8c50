"""The whole workspace is one line per criterion; each criterion's details are fetched when opened (issue 13, speed).

GET /assessments/<pk>/criteria/<code>/details/ answers the details (wording, level rule, suggestions, remark,
evidence, history link) with the workspace's visibility; a chapter's page, a returned criterion and the answer
to a save carry them inline. A rating saved while the details were never loaded posts no remark and keeps it.
"""

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import AssessmentKind, Criterion, Rating
from scoring.services import assessment_submit, criterion_return
from tests.conftest import Cast
from tests.evidence.conftest import attach
from tests.factories import AssessmentFactory, HospitalFactory, rate_all
from workspace.services import rating_save

pytestmark = pytest.mark.django_db

# The details of one criterion cost a constant number of queries, whatever it carries.
DETAILS_QUERIES = 9


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def details_url(pk: int, code: str) -> str:
    return f"/assessments/{pk}/criteria/{code}/details/"


def test_the_whole_workspace_loads_details_on_demand_and_a_chapter_page_carries_them(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = browser(cast, "head_a")
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert page.count('<article class="criterion') == 102
    assert 'class="crit-details"' not in page and 'name="remark"' not in page
    loaders = re.findall(r'<div class="crit-details-slot" hx-get="([^"]+)"[^>]*data-offline-prefetch', page)
    assert len(loaders) == 102 and details_url(assessment.pk, "3.1-3") in loaders
    assert 'hx-trigger="toggle once from:closest details"' in page
    # Without JavaScript, the line links to its chapter's page, which carries the details.
    assert f'href="/assessments/{assessment.pk}/chapters/3/#c-3.1-3"' in page

    chapter = client.get(f"/assessments/{assessment.pk}/chapters/3/").content.decode()
    assert chapter.count('class="crit-details"') == 28 and "crit-details-slot" not in chapter
    assert 'id="remark-3.1-3"' in chapter


def test_the_details_of_a_criterion(cast: Cast, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("1.1-1-1"), rating="met", remark="见附件")
    attach(cast.head_a, assessment, code="1.1-1-1")
    answer = browser(cast, "head_a").get(details_url(assessment.pk, "1.1-1-1"))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" not in html and 'id="d-1.1-1-1"' in html
    assert criterion("1.1-1-1").text[:20] in html
    assert re.search(r'<textarea id="remark-1\.1-1-1" name="remark" form="f-1\.1-1-1"[^>]*>见附件</textarea>', html)
    assert 'id="evidence-1.1-1-1"' in html and "制度.pdf" in html and 'class="evidence-upload"' in html
    assert f"/assessments/{assessment.pk}/history/?criterion=1.1-1-1" in html


def test_an_inspector_sees_the_department_s_answer_and_files_in_the_details(
    cast: Cast, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    own = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    rating_save(actor=cast.head_a, assessment=own, criterion=criterion("2.1-1"), rating="unmet", remark="缺编")
    attach(cast.head_a, own, code="2.1-1")
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    html = browser(cast, "inspector").get(details_url(inspection.pk, "2.1-1")).content.decode()
    assert "科室自评" in html and "缺编" in html and "制度.pdf" in html
    assert 'class="evidence-upload"' not in html  # the department's files, not the inspector's to change
    assert 'name="remark" form="f-2.1-1"' in html  # the inspector's own remark


def test_the_details_are_seen_by_whoever_sees_the_assessment_and_nobody_else(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    url = details_url(assessment.pk, "1.1-1-1")
    for who in ("qc_admin", "inspector", "head_a", "staff_a"):
        assert browser(cast, who).get(url).status_code == 200, who
    for who in ("head_b", "inspector_unassigned"):
        assert browser(cast, who).get(url).status_code == 404, who
    assert Client().get(url).status_code == 302  # to sign in
    assert browser(cast, "head_a").post(url).status_code == 405
    assert browser(cast, "head_a").get(details_url(assessment.pk, "9.9-9")).status_code == 404


def test_a_key_specialty_criterion_has_no_details_for_another_department(cast: Cast) -> None:
    general = AssessmentFactory(hospital=cast.hospital_b)
    key_only = Criterion.objects.filter(standard__code="cq2011", applies_to="key_specialty").first()
    assert key_only is not None
    assert browser(cast, "head_b").get(details_url(general.pk, key_only.code)).status_code == 404


def test_the_details_cost_a_constant_number_of_queries(cast: Cast, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    hospital = HospitalFactory(name="乙医院二", key_specialty=True)
    plain = AssessmentFactory(hospital=hospital)
    full = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=full, criterion=criterion("1.1-1-1"), rating="met", remark="备注")
    for _ in range(3):
        attach(cast.head_a, full, code="1.1-1-1")
    client = browser(cast, "qc_admin")
    client.get(details_url(plain.pk, "1.1-1-1"))  # warm the session and the standard's cache

    def queries(pk: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(details_url(pk, "1.1-1-1")).status_code == 200
        return len(captured)

    assert queries(plain.pk) == queries(full.pk) <= DETAILS_QUERIES


def test_a_returned_criterion_carries_its_details_open_on_the_whole_workspace(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("1.1-1-2"), reason="请补充")
    page = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/").content.decode()
    assert page.count('class="crit-details"') == 1 and page.count("crit-details-slot") == 101
    returned = page.split('id="c-1.1-1-2"', 1)[1].split("</article>", 1)[0]
    assert '<details class="crit-more" open>' in returned and 'id="remark-1.1-1-2"' in returned


def test_a_save_without_the_details_keeps_the_remark_and_answers_them_inline(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("2.1-1"), rating="met", remark="排班表")
    client = browser(cast, "head_a")
    url = f"/assessments/{assessment.pk}/criteria/2.1-1/"
    answer = client.post(url, {"rating": "unmet", "version": "1"}, HTTP_HX_REQUEST="true")
    stored = Rating.objects.get(assessment=assessment, criterion__code="2.1-1")
    assert (stored.rating, stored.remark, stored.version) == ("unmet", "排班表", 2)
    html = answer.content.decode()
    assert 'class="crit-details"' in html and "crit-details-slot" not in html and ">排班表</textarea>" in html
    # A remark posted blank is a remark cleared.
    client.post(url, {"rating": "unmet", "version": "2", "remark": ""}, HTTP_HX_REQUEST="true")
    stored.refresh_from_db()
    assert (stored.remark, stored.version) == ("", 3)
