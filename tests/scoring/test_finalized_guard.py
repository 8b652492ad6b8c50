"""A finalized assessment cannot change by any path: services (409), the admin, and the ORM (database triggers)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from scoring.errors import AssessmentLocked
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize, rating_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def finalized(cast: Cast) -> Assessment:
    assessment = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)
    criterion = Criterion.objects.get(standard=assessment.standard, code="1.1-1-1")
    rating_save(actor=cast.qc_admin, assessment=assessment, criterion=criterion, rating="met")
    rate_all(assessment)
    assessment_submit(actor=cast.qc_admin, assessment=assessment)
    return assessment_finalize(actor=cast.qc_admin, assessment=assessment)


def test_service_writes_to_a_finalized_assessment_are_refused(cast: Cast, finalized: Assessment) -> None:
    criterion = Criterion.objects.get(standard=finalized.standard, code="1.1-1-2")
    with pytest.raises(AssessmentLocked):
        rating_save(actor=cast.qc_admin, assessment=finalized, criterion=criterion, rating="met")
    with pytest.raises(AssessmentLocked):
        assessment_submit(actor=cast.qc_admin, assessment=finalized)
    with pytest.raises(AssessmentLocked):
        assessment_finalize(actor=cast.qc_admin, assessment=finalized)


def test_orm_save_of_a_finalized_assessment_is_refused_by_the_database(finalized: Assessment) -> None:
    finalized.status = AssessmentStatus.DRAFT
    with pytest.raises(IntegrityError), transaction.atomic():
        finalized.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=finalized.pk).update(year=2020)
    finalized.refresh_from_db()
    assert finalized.status == AssessmentStatus.FINALIZED
    assert finalized.year == 2026


def test_orm_writes_to_ratings_of_a_finalized_assessment_are_refused(finalized: Assessment) -> None:
    rating = Rating.objects.get(assessment=finalized, criterion__code="1.1-1-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(pk=rating.pk).update(score=Decimal("1"))
    criterion = Criterion.objects.get(standard=finalized.standard, code="3.2-1-1")  # not rated: no key specialty
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(assessment=finalized, criterion=criterion, rating="met", score=criterion.max_points)
    with pytest.raises(IntegrityError), transaction.atomic():
        # Moving a rating out of a finalized assessment is a change to it too.
        other = AssessmentFactory(hospital=finalized.hospital, kind=AssessmentKind.SELF)
        Rating.objects.filter(pk=rating.pk).update(assessment=other)
    rating.refresh_from_db()
    assert rating.score == Decimal("15")
    assert Rating.objects.filter(assessment=finalized).count() == 92


def test_drafts_stay_writable_through_the_orm(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    Assessment.objects.filter(pk=assessment.pk).update(year=2025)
    assessment.refresh_from_db()
    assert assessment.year == 2025


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite keeps DELETE open for flush (no TRUNCATE)")
def test_orm_deletes_of_a_finalized_assessment_or_its_ratings_are_refused_on_postgresql(finalized: Assessment) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.filter(assessment=finalized).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=finalized.pk).delete()
    assert Rating.objects.filter(assessment=finalized).count() == 92
