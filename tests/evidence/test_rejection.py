"""A rejected file opens its criterion for the department (issue 13, D3).

The department must supply another file, which it can only do on a returned criterion: so
rejecting a file returns its criterion (in the same transaction, with the rejection's reason),
unless it is returned already. Both steps are audited.
"""

import pytest
from django.test import Client

from audit.models import AuditEvent
from evidence.models import Evidence, ReviewStatus
from scoring.models import AssessmentKind, AssessmentStatus, CriterionReturn, ReturnStatus
from scoring.services import assessment_submit, criterion_return
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all

from .conftest import attach, criterion, png

pytestmark = pytest.mark.django_db


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def submitted_with_file(cast: Cast, code: str = "1.1-1-2") -> tuple[object, Evidence]:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    [evidence] = attach(cast.head_a, assessment, code=code)
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    return assessment, evidence


def test_rejecting_a_file_returns_its_criterion_to_the_department_with_the_reason(cast: Cast) -> None:
    assessment, evidence = submitted_with_file(cast)
    response = browser(cast, "inspector").post(
        f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "签字页缺失"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "退回科室" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.REJECTED
    [ret] = CriterionReturn.objects.filter(assessment=assessment)
    assert ret.criterion.code == "1.1-1-2" and ret.status == ReturnStatus.OPEN
    assert "签字页缺失" in ret.reason and evidence.original_name in ret.reason
    assert ret.returned_by == cast.inspector
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.RETURNED
    actions = list(AuditEvent.objects.filter(assessment_id=assessment.pk).values_list("action", flat=True))
    assert "evidence.review" in actions and "return.create" in actions

    # The department now has the upload control on that criterion, and may upload another file.
    page = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/chapters/1/").content.decode()
    assert f'action="/assessments/{assessment.pk}/criteria/1.1-1-2/evidence/"' in page
    assert f'action="/assessments/{assessment.pk}/criteria/1.1-1-1/evidence/"' not in page
    upload = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-2/evidence/", {"files": [png()]}, HTTP_HX_REQUEST="true"
    )
    assert upload.status_code == 200 and "已上传 1 个文件" in upload.content.decode()


def test_rejecting_a_file_on_a_criterion_already_returned_opens_no_second_return(cast: Cast) -> None:
    assessment, evidence = submitted_with_file(cast)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("1.1-1-2"), reason="请补充")
    response = browser(cast, "inspector").post(
        f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "模糊"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "evidence-errors" not in response.content.decode()
    assert CriterionReturn.objects.filter(assessment=assessment).count() == 1
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.REJECTED


def test_accepting_a_file_returns_nothing(cast: Cast) -> None:
    assessment, evidence = submitted_with_file(cast)
    browser(cast, "inspector").post(f"/evidence/{evidence.pk}/review/", {"decision": "accepted"})
    assert not CriterionReturn.objects.filter(assessment=assessment).exists()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED


def test_a_refused_rejection_returns_nothing(cast: Cast) -> None:
    assessment, evidence = submitted_with_file(cast)
    browser(cast, "inspector").post(f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": " "})
    assert not CriterionReturn.objects.filter(assessment=assessment).exists()
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.PENDING


def test_an_inspections_own_file_is_not_rejected_and_returns_nothing(cast: Cast) -> None:
    # The inspectors' own evidence is never reviewed (issue 13, point 5): the rejection is refused.
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    [evidence] = attach(cast.inspector, inspection)
    rate_all(inspection)
    assessment_submit(actor=cast.inspector, assessment=inspection)
    response = browser(cast, "inspector").post(
        f"/evidence/{evidence.pk}/review/", {"decision": "rejected", "reason": "模糊"}
    )
    assert response.status_code == 400
    assert "不需审核" in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.review_status == ReviewStatus.PENDING
    assert not CriterionReturn.objects.filter(assessment=inspection).exists()
