"""A remark is at most 5,000 characters on every path: the form, the API and the score sheet (issue 12, L7).

The limit lives in the rating service, so no path can store a remark that would then inflate
every page, sheet and PDF that prints it.
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEvent
from scoring.models import Criterion, Rating
from scoring.services import REMARK_MAX_CHARS
from tests.conftest import Cast
from tests.factories import AssessmentFactory
from tests.scoring.sheets import Sheet, upload_file
from workspace.services import rating_save

pytestmark = pytest.mark.django_db
TOO_LONG = "备" * (REMARK_MAX_CHARS + 1)


def test_the_service_refuses_a_remark_over_the_limit_and_stores_nothing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    criterion = Criterion.objects.get(standard=assessment.standard, code="1.1-1-1")
    with pytest.raises(ValidationError) as refused:
        rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion, rating="met", remark=TOO_LONG)
    assert "remark" in refused.value.message_dict
    rating_save(
        actor=cast.head_a, assessment=assessment, criterion=criterion, rating="met", remark="备" * REMARK_MAX_CHARS
    )
    assert len(Rating.objects.get(assessment=assessment).remark) == REMARK_MAX_CHARS


def test_the_form_answers_the_limit_at_the_field(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)

    response = client.post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/",
        {"rating": "met", "remark": TOO_LONG, "version": "0"},
        HTTP_HX_REQUEST="true",
    )

    assert "备注不能超过 5000 字" in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_the_api_answers_400_naming_the_remark(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-1/", {"rating": "met", "remark": TOO_LONG}, format="json"
    )
    assert response.status_code == 400 and "remark" in response.json()
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_a_score_sheet_row_with_a_remark_over_the_limit_is_refused_whole(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = Client()
    client.force_login(cast.head_a)
    sheet = Sheet(client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    sheet.rate("1.1-1-1", "met", remark=TOO_LONG)
    events = AuditEvent.objects.changes().count()

    response = client.post(f"/assessments/{assessment.pk}/sheet/", {"file": upload_file(sheet.bytes())})

    assert response.status_code == 400
    assert "备注不能超过" in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()
    assert AuditEvent.objects.changes().count() == events
