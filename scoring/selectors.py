"""Reads of standards and assessments, scoped to the asking user, and the engine's inputs."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.selectors import scope_by_hospital

from . import engine
from .models import Assessment, Chapter, Criterion, GradeThreshold, Item, Rating, Standard


def standards_list() -> QuerySet[Standard]:
    """All standards; they are reference data every signed-in user may read."""
    return Standard.objects.prefetch_related("thresholds").order_by("code")


def standard_detail_queryset() -> QuerySet[Standard]:
    """Standards with the whole tree prefetched: a constant five queries whatever the size."""
    return Standard.objects.prefetch_related(
        "thresholds",
        Prefetch(
            "chapters",
            queryset=Chapter.objects.order_by("number").prefetch_related(
                Prefetch(
                    "items",
                    queryset=Item.objects.order_by("position").prefetch_related(
                        Prefetch("criteria", queryset=Criterion.objects.order_by("position"))
                    ),
                )
            ),
        ),
    )


def assessments_visible_to(user: Any) -> QuerySet[Assessment]:
    """Assessments of the hospitals the user may see; the one scope for HTML views and the API."""
    qs = Assessment.objects.select_related("hospital", "standard")
    return scope_by_hospital(qs, user)


def criterion_for_assessment(assessment: Assessment, code: str) -> Criterion | None:
    """The criterion with `code` in the assessment's standard, or None."""
    return Criterion.objects.filter(standard_id=assessment.standard_id, code=code).first()


def thresholds_of(standard_id: int) -> dict[str, Any]:
    """Grade thresholds of a standard as {level: points}."""
    return dict(GradeThreshold.objects.filter(standard_id=standard_id).values_list("level", "points"))


def criterion_specs(standard_id: int) -> list[engine.CriterionSpec]:
    """The engine's view of a standard's criteria, in order (one query)."""
    rows = (
        Criterion.objects.filter(standard_id=standard_id)
        .order_by("position")
        .values_list(
            "code", "item__chapter__number", "item__code", "max_points", "veto", "applies_to", "key_specialty_weight"
        )
    )
    return [
        engine.CriterionSpec(
            code=code,
            chapter=chapter,
            item=item,
            max_points=max_points,
            veto=veto,
            applies_to=applies_to,
            key_specialty_weight=weight,
        )
        for code, chapter, item, max_points, veto, applies_to, weight in rows
    ]


def assessment_result(assessment: Assessment) -> engine.Result:
    """Score an assessment with the engine: a constant five queries whatever the number of ratings."""
    standard_id = assessment.standard_id
    chapters = [
        engine.SectionSpec(key=str(n), title=t)
        for n, t in Chapter.objects.filter(standard_id=standard_id).values_list("number", "title")
    ]
    items = [
        engine.SectionSpec(key=c, title=t)
        for c, t in Item.objects.filter(chapter__standard_id=standard_id).values_list("code", "title")
    ]
    ratings = {
        code: engine.RatingInput(rating=r, score=s)
        for code, r, s in Rating.objects.filter(assessment=assessment).values_list("criterion__code", "rating", "score")
    }
    return engine.evaluate(
        criteria=criterion_specs(standard_id),
        ratings=ratings,
        key_specialty=assessment.hospital.key_specialty,
        level=assessment.hospital.level,
        thresholds=thresholds_of(standard_id),
        chapters=chapters,
        items=items,
    )


def assessment_result_data(assessment: Assessment) -> dict[str, Any]:
    """The result as shown everywhere: frozen at finalization, computed live before."""
    if assessment.is_finalized and assessment.final_result is not None:
        return assessment.final_result
    return engine.result_as_dict(assessment_result(assessment))
