"""Shared pieces of the notification tests: a submitted self-assessment of hospital A, and who got what."""

from typing import Any

import pytest
from django.utils import translation

from notifications.models import Notification
from scoring.models import Assessment, AssessmentKind, Criterion
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.scoring.factories import AssessmentFactory, rate_all

CODE = "1.1-1-1"


def criterion(code: str = CODE) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def submitted_self(cast: Cast, *, hospital: Any = None, year: int = 2026) -> Assessment:
    hospital = hospital or cast.hospital_a
    head = cast.head_a if hospital == cast.hospital_a else cast.head_b
    assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.SELF, year=year)
    rate_all(assessment)
    return assessment_submit(actor=head, assessment=assessment)


def inbox(user: Any, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient=user)
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _chinese() -> Any:
    # A request in English earlier in the run may leave its language active in this thread; texts read here
    # are checked in the default language (the English test sets its own).
    with translation.override("zh-hans"):
        yield
