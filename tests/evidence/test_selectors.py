"""Evidence reads: scoped by hospital, grouped by criterion in one query."""

import pytest

from evidence.selectors import evidence_by_criterion, evidence_visible_to
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory

from .conftest import attach, criterion, pdf

pytestmark = pytest.mark.django_db

# Columns as in the cast: who sees evidence of A, and of B.
SEES = {
    "qc_admin": {"A", "B"},
    "inspector": {"A"},
    "inspector_unassigned": set(),
    "head_a": {"A"},
    "staff_a": {"A"},
    "head_b": {"B"},
    "anonymous": set(),
}


@pytest.mark.parametrize("who", CAST)
def test_evidence_is_visible_exactly_where_its_hospital_is(cast: Cast, who: str) -> None:
    [a] = attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a))
    [b] = attach(cast.head_b, AssessmentFactory(hospital=cast.hospital_b))
    ids = set(evidence_visible_to(cast.users[who]).values_list("pk", flat=True))
    assert ids == {e.pk for label, e in (("A", a), ("B", b)) if label in SEES[who]}


def test_evidence_is_grouped_by_criterion_in_upload_order(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    first = attach(cast.head_a, assessment, pdf("1.pdf"), pdf("2.pdf"))
    other = attach(cast.head_a, assessment, pdf("3.pdf"), code="1.1-1-2")
    attach(cast.head_a, AssessmentFactory(hospital=cast.hospital_a, year=2020), pdf("elsewhere.pdf"))
    c1, c2, c3 = criterion("1.1-1-1"), criterion("1.1-1-2"), criterion("1.1-1-3")
    grouped = evidence_by_criterion(assessment, [c1.pk, c2.pk, c3.pk])
    assert grouped == {c1.pk: first, c2.pk: other, c3.pk: []}


@pytest.mark.parametrize("n", [1, 10])
def test_grouping_takes_one_query_however_many_files(cast: Cast, n: int, django_assert_num_queries) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    attach(cast.head_a, assessment, *[pdf(f"{i}.pdf") for i in range(n)])
    ids = [criterion("1.1-1-1").pk, criterion("1.1-1-2").pk]
    with django_assert_num_queries(1):
        grouped = evidence_by_criterion(assessment, ids)
        # The template reads who uploaded and who reviewed: already joined.
        names = [(e.uploaded_by.username, e.reviewed_by) for e in grouped[ids[0]]]
    assert len(names) == n
