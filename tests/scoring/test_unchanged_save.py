"""Saving what is stored already changes nothing: no new version, no history row (issue 13, D9)."""

from decimal import Decimal

import pytest

from audit.models import AuditEvent
from scoring import services as scoring_services
from scoring.models import AssessmentKind, Criterion
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def test_saving_what_is_stored_writes_no_history_and_keeps_the_version(cast: Cast) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    unmet = {"suggested": None, "profile_suggested": "unmet"}
    set_it = dict(
        actor=cast.inspector,
        assessment=inspection,
        criterion=Criterion.objects.get(standard__code="cq2011", code="2.1-3-1"),
        suggestions=unmet,
    )
    first = scoring_services.rating_set(**set_it, rating="partial", score=Decimal("4.5"), remark="现场核查\n26 名")
    # The same score written otherwise, the same remark with the browser's line break.
    again = scoring_services.rating_set(**set_it, rating="partial", score=Decimal("4.50"), remark="现场核查\r\n26 名")
    assert again.pk == first.pk and again.version == 1
    assert AuditEvent.objects.filter(action="rating.set").count() == 1
    # Stale versions do not matter when nothing would change: nobody's value is overwritten.
    scoring_services.rating_set(
        **set_it, rating="partial", score=Decimal("4.5"), remark="现场核查\n26 名", expected_version=0
    )
    assert AuditEvent.objects.filter(action="rating.set").count() == 1

    api = cast.client("inspector")
    url = f"/api/v1/assessments/{inspection.pk}/ratings/2.1-3-1/"
    answer = api.put(
        url, {"rating": "partial", "score": "4.5", "remark": "现场核查\n26 名", "version": 1}, format="json"
    )
    assert answer.status_code == 200
    assert (answer.json()["version"], answer.json()["rating"]) == (1, "partial")
    assert AuditEvent.objects.filter(action="rating.set").count() == 1
    changed = api.put(url, {"rating": "unmet", "remark": "现场核查", "version": 1}, format="json")
    assert changed.json()["version"] == 2
    assert AuditEvent.objects.filter(action="rating.set").count() == 2
