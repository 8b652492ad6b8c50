"""A finalized assessment keeps the result it was finalized with, whatever later happens to the standard."""

import pytest

from scoring import engine
from scoring.api.serializers import ResultSerializer
from scoring.models import AssessmentKind, Criterion
from scoring.services import assessment_submit, criterion_set_veto
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize, rating_save

pytestmark = pytest.mark.django_db


def result_of(cast: Cast, assessment_id: int) -> dict:
    response = cast.client("qc_admin").get(f"/api/v1/assessments/{assessment_id}/result/")
    assert response.status_code == 200
    return response.json()


def test_the_documented_result_shape_is_the_one_served(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    assert set(result_of(cast, assessment.pk)) == set(ResultSerializer().fields)


def test_a_veto_flag_changed_after_finalization_does_not_rewrite_the_outcome(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)
    draft = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    criterion = Criterion.objects.get(standard__code="cq2011", code="4.1-2-1")  # not ★ by default
    rating_save(actor=cast.qc_admin, assessment=assessment, criterion=criterion, rating="unmet")
    rating_save(actor=cast.head_b, assessment=draft, criterion=criterion, rating="unmet")
    rate_all(assessment)
    assessment_submit(actor=cast.qc_admin, assessment=assessment)
    assessment_finalize(actor=cast.qc_admin, assessment=assessment)
    before = result_of(cast, assessment.pk)
    assert before["veto_failed"] == []

    criterion_set_veto(actor=cast.qc_admin, criterion=criterion, veto=True, reason="新一轮检查起列为★")

    assert result_of(cast, assessment.pk) == before
    assert result_of(cast, draft.pk)["veto_failed"] == ["4.1-2-1"]
    assert result_of(cast, draft.pk)["outcome"] == engine.INCOMPLETE
