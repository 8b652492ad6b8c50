"""Reads of evidence, scoped to what the asking user may see."""

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.typing import AnyUser
from scoring.models import Assessment
from scoring.selectors import assessments_visible_to

from .models import Evidence, ReviewStatus


def evidence_visible_to(user: AnyUser) -> QuerySet[Evidence]:
    """Evidence of the assessments the user may see (scoring's scope: a department sees an inspection's files
    once it is finalized); foreign evidence is simply absent."""
    qs = Evidence.objects.select_related(
        "assessment__hospital", "assessment__standard", "criterion__item__chapter", "uploaded_by", "reviewed_by"
    )
    return qs.filter(assessment__in=assessments_visible_to(user).values("pk"))


def evidence_by_criterion(assessment: Assessment, criterion_ids: Iterable[int]) -> dict[int, list[Evidence]]:
    """Every requested criterion id mapped to its evidence in upload order (empty list if none), in one query."""
    ids = list(criterion_ids)
    grouped: dict[int, list[Evidence]] = {cid: [] for cid in ids}
    if not ids:
        return grouped
    rows = (
        Evidence.objects.filter(assessment=assessment, criterion_id__in=ids)
        .select_related("uploaded_by", "reviewed_by")
        .order_by("uploaded_at", "id")
    )
    for evidence in rows:
        grouped[evidence.criterion_id].append(evidence)
    return grouped


def evidence_awaiting_review(assessment: Assessment) -> list[Evidence]:
    """The assessment's files nobody has accepted or rejected yet, in the standard's order (one query)."""
    return list(
        Evidence.objects.filter(assessment=assessment, review_status=ReviewStatus.PENDING)
        .select_related("criterion__item__chapter")
        .order_by("criterion__position", "uploaded_at", "id")
    )


def awaiting_review_by_assessment(assessment_ids: Iterable[int]) -> dict[int, tuple[int, str, int]]:
    """For each given assessment with files awaiting review: how many, and the code and chapter number of the
    first such criterion in the standard's order (where the reviewer starts), in one query."""
    found: dict[int, tuple[int, str, int]] = {}
    rows = (
        Evidence.objects.filter(assessment_id__in=list(assessment_ids), review_status=ReviewStatus.PENDING)
        .order_by("assessment_id", "criterion__position", "id")
        .values_list("assessment_id", "criterion__code", "criterion__item__chapter__number")
    )
    for assessment_id, code, chapter in rows:
        count, first, first_chapter = found.get(assessment_id, (0, code, chapter))
        found[assessment_id] = (count + 1, first, first_chapter)
    return found
