"""Reads of standards and assessments, scoped to the asking user, and the engine's inputs."""

import functools
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Role
from accounts.selectors import scope_by_hospital

from . import engine, excel, permissions
from .models import (
    AppliesTo,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Chapter,
    Criterion,
    CriterionReturn,
    GradeThreshold,
    Item,
    Rating,
    ReturnStatus,
    Standard,
)


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


@dataclass(frozen=True)
class StandardParts:
    """What scoring needs of a standard besides the ratings: criteria, chapters, items, thresholds."""

    criteria: list[engine.CriterionSpec]
    chapters: list[engine.SectionSpec]
    items: list[engine.SectionSpec]
    thresholds: dict[str, Any]


@functools.lru_cache(maxsize=32)
def _standard_parts(standard_id: int, revision: int) -> StandardParts:
    # Cached per process under the standard's revision, which the database changes with any of its parts:
    # a stale entry is never read, it just ages out.
    sections = list(
        Item.objects.filter(chapter__standard_id=standard_id)
        .order_by("chapter__number", "position")
        .values_list("chapter__number", "chapter__title", "code", "title")
    )
    # Chapters come with their items: one query for both (every chapter of a standard has items).
    chapters = [engine.SectionSpec(key=str(n), title=t) for n, t in dict.fromkeys((n, t) for n, t, _c, _i in sections)]
    items = [engine.SectionSpec(key=c, title=t) for _n, _t, c, t in sections]
    return StandardParts(criterion_specs(standard_id), chapters, items, thresholds_of(standard_id))


def standard_parts(standard: Standard) -> StandardParts:
    """The standard's criteria, sections and thresholds: no query once this process has read its revision."""
    return _standard_parts(standard.pk, standard.revision)


def assessment_result(assessment: Assessment) -> engine.Result:
    """Score an assessment with the engine: the ratings are one query; the standard's parts are cached
    under its revision (scoring/db_guards.py), so a result costs the assessment and its ratings."""
    parts = standard_parts(assessment.standard)
    ratings = {
        code: engine.RatingInput(rating=r, score=s)
        for code, r, s in Rating.objects.filter(assessment=assessment).values_list("criterion__code", "rating", "score")
    }
    return engine.evaluate(
        criteria=parts.criteria,
        ratings=ratings,
        key_specialty=assessment.hospital.key_specialty,
        level=assessment.hospital.level,
        thresholds=parts.thresholds,
        chapters=parts.chapters,
        items=parts.items,
    )


def assessment_result_data(assessment: Assessment) -> dict[str, Any]:
    """The result as shown everywhere: frozen at finalization, computed live before."""
    if assessment.is_finalized and assessment.final_result is not None:
        return assessment.final_result
    return engine.result_as_dict(assessment_result(assessment))


def applicable_counts() -> dict[int, dict[str, int]]:
    """Criteria per standard and scope: {standard_id: {"all": n, "key_specialty": m}} (one query)."""
    counts: dict[int, dict[str, int]] = {}
    for row in Criterion.objects.values("standard_id", "applies_to").annotate(n=Count("id")):
        counts.setdefault(row["standard_id"], {"all": 0, "key_specialty": 0})[row["applies_to"]] = row["n"]
    return counts


def assessments_with_progress(qs: QuerySet[Assessment]) -> list[dict[str, Any]]:
    """Each assessment with rated / applicable counts, in two queries whatever the number of rows."""
    counts = applicable_counts()
    rows = []
    for assessment in qs.annotate(rated=Count("ratings")).order_by("-year", "hospital__name", "kind"):
        per_scope = counts.get(assessment.standard_id, {"all": 0, "key_specialty": 0})
        applicable = per_scope["all"] + (per_scope["key_specialty"] if assessment.hospital.key_specialty else 0)
        rows.append({"assessment": assessment, "rated": assessment.rated, "applicable": applicable})
    return rows


def creatable_assessment_kinds(user: Any) -> list[str]:
    """Which kinds of assessment the user may open (for some hospital they can see)."""
    role = getattr(user, "effective_role", None)
    if role == Role.QC_ADMIN:
        return [AssessmentKind.SELF, AssessmentKind.INSPECTION]
    if role == Role.DEPARTMENT_HEAD:
        return [AssessmentKind.SELF]
    if role == Role.INSPECTOR:
        return [AssessmentKind.INSPECTION]
    return []


def paired_self_assessment(assessment: Assessment) -> Assessment | None:
    """The department's self-assessment an inspection is read against (same hospital, standard and year)."""
    if assessment.kind != AssessmentKind.INSPECTION:
        return None
    return Assessment.objects.filter(
        hospital_id=assessment.hospital_id,
        standard_id=assessment.standard_id,
        year=assessment.year,
        kind=AssessmentKind.SELF,
    ).first()


def _indicator_suggestions(assessment: Assessment, criterion_ids: list[int]) -> dict[str, Any]:
    """Ratings suggested by quality indicators for these criteria (4.2-*), for the assessment's year."""
    from indicators.models import Indicator  # indicators build on scoring
    from indicators.selectors import suggestions_for

    if not Indicator.criteria.through.objects.filter(criterion_id__in=criterion_ids).exists():
        return {}
    return suggestions_for(assessment.hospital, assessment.year)


def _rule_evaluations(assessment: Assessment, criterion_ids: list[int]) -> dict[str, Any]:
    """What the department profile's rules say about these criteria, for the assessment's year."""
    from departments.models import CriterionRule  # departments build on scoring
    from departments.selectors import evaluations_for

    if not CriterionRule.objects.filter(criterion_id__in=criterion_ids).exists():
        return {}
    return evaluations_for(assessment.hospital, assessment.year, assessment.standard_id)


def _entries(assessment: Assessment, criteria: list[Criterion], user: Any) -> list[dict[str, Any]]:
    """Each applicable criterion with what the page shows and allows: a constant number of queries.

    On an inspection the department's self-rating and evidence stand beside the inspector's rating.
    """
    from evidence import permissions as evidence_permissions  # evidence builds on scoring
    from evidence.selectors import evidence_by_criterion

    key = assessment.hospital.key_specialty
    criteria = [c for c in criteria if c.applies_to == AppliesTo.ALL or key]
    ids = [c.pk for c in criteria]
    ratings = {
        r.criterion_id: r
        for r in Rating.objects.filter(assessment=assessment, criterion_id__in=ids).select_related("rated_by")
    }
    self_assessment = paired_self_assessment(assessment)
    department = self_assessment or assessment  # whose evidence and returns are shown
    self_ratings = (
        {
            r.criterion_id: r
            for r in Rating.objects.filter(assessment=self_assessment, criterion_id__in=ids).select_related("rated_by")
        }
        if self_assessment
        else {}
    )
    evidence = evidence_by_criterion(department, ids) if department.kind == AssessmentKind.SELF else {}
    open_returns = {
        r.criterion_id: r
        for r in CriterionReturn.objects.filter(assessment=department, criterion_id__in=ids, status=ReturnStatus.OPEN)
    }
    suggestions = _indicator_suggestions(assessment, ids)
    rule_checks = _rule_evaluations(assessment, ids)
    rateable = permissions.can_rate(user, assessment)
    chapters_allowed = permissions.rateable_chapters(user, assessment) if rateable else set()
    upload = department is assessment and evidence_permissions.can_upload(user, department)
    # Once the inspection is finalized, everything about the pair is locked.
    closed = assessment.status == AssessmentStatus.FINALIZED
    review = not closed and department.kind == AssessmentKind.SELF and evidence_permissions.can_review(user, department)
    can_return = (
        not closed
        and department.kind == AssessmentKind.SELF
        and department.status in (AssessmentStatus.SUBMITTED, AssessmentStatus.RETURNED)
        and permissions.can_review(user, department)
    )
    entries = []
    for c in criteria:
        open_return = open_returns.get(c.pk) if department is assessment else None
        editable = (
            rateable
            and (chapters_allowed is None or c.item.chapter.number in chapters_allowed)
            and (
                assessment.status == AssessmentStatus.DRAFT
                or (assessment.status == AssessmentStatus.RETURNED and open_return is not None)
            )
        )
        spec = engine.CriterionSpec(
            code=c.code, chapter=0, item="", max_points=c.max_points, key_specialty_weight=c.key_specialty_weight
        )
        entries.append(
            {
                "criterion": c,
                "rating": ratings.get(c.pk),
                "current": ratings[c.pk].rating if c.pk in ratings else "",
                "weight": engine.weight(spec, key_specialty=key),
                "editable": editable,
                "self_rating": self_ratings.get(c.pk),
                "evidence": evidence.get(c.pk, []),
                "evidence_assessment": department if department.kind == AssessmentKind.SELF else None,
                "can_upload": upload and editable,
                "can_review": review,
                "open_return": open_returns.get(c.pk),
                "can_return": can_return and c.pk not in open_returns,
                "suggestion": suggestions.get(c.code),
                "rule_check": rule_checks.get(c.code),
            }
        )
    return entries


FORM_FILTERS = ("all", "unrated", "veto", "no_evidence")


def assessment_form_page(
    assessment: Assessment, *, chapter_number: int | None, show: str, user: Any
) -> dict[str, Any] | None:
    """Everything the form page shows for one chapter: a constant number of queries. None: no such chapter."""
    chapters = list(Chapter.objects.filter(standard_id=assessment.standard_id).order_by("number"))
    if not chapters:
        return None
    chapter = next((c for c in chapters if c.number == chapter_number), None) if chapter_number else chapters[0]
    if chapter is None:
        return None
    criteria = list(
        Criterion.objects.filter(item__chapter=chapter).select_related("item__chapter").order_by("position")
    )
    entries = _entries(assessment, criteria, user)
    show = show if show in FORM_FILTERS else "all"
    if show == "unrated":
        entries = [e for e in entries if e["rating"] is None]
    elif show == "veto":
        entries = [e for e in entries if e["criterion"].veto]
    elif show == "no_evidence":
        entries = [e for e in entries if not e["evidence"]]
    returns = list(
        CriterionReturn.objects.filter(assessment=assessment, status=ReturnStatus.OPEN)
        .select_related("criterion__item__chapter", "returned_by")
        .order_by("criterion__position")
    )
    return {
        "assessment": assessment,
        "chapters": chapters,
        "chapter": chapter,
        "entries": entries,
        "result": assessment_result_data(assessment),
        "show": show,
        "filters": FORM_FILTERS,
        "open_returns": returns,
        "self_assessment": paired_self_assessment(assessment),
    }


def criterion_fragment(assessment: Assessment, criterion: Criterion, user: Any) -> dict[str, Any]:
    """One criterion with its current rating, evidence and the totals, for the autosave answer."""
    criterion = Criterion.objects.select_related("item__chapter").get(pk=criterion.pk)
    return {
        "assessment": assessment,
        "entry": _entries(assessment, [criterion], user)[0],
        "result": assessment_result_data(assessment),
    }


def assessment_confirm_page(assessment: Assessment) -> dict[str, Any]:
    """The result with the unrated and failed-veto criteria spelled out (for submit, finalize and result pages)."""
    result = assessment_result_data(assessment)
    codes = set(result["unrated"]) | set(result["veto_failed"])
    by_code = {c.code: c for c in Criterion.objects.filter(standard_id=assessment.standard_id, code__in=codes)}
    return {
        "assessment": assessment,
        "result": result,
        "unrated": [by_code[c] for c in result["unrated"] if c in by_code],
        "veto_failed": [by_code[c] for c in result["veto_failed"] if c in by_code],
    }


def assessment_variance(assessment: Assessment) -> dict[str, Any] | None:
    """Self-assessment against inspection, per criterion and per chapter, largest gaps first.

    `assessment` may be either of the pair; None when the other half does not exist.
    A gap is self minus inspection, in weighted points: positive means the department
    rated itself higher than the inspectors did.
    """
    inspection: Assessment | None
    self_assessment: Assessment | None
    if assessment.kind == AssessmentKind.INSPECTION:
        inspection, self_assessment = assessment, paired_self_assessment(assessment)
    else:
        self_assessment = assessment
        inspection = Assessment.objects.filter(
            hospital_id=assessment.hospital_id,
            standard_id=assessment.standard_id,
            year=assessment.year,
            kind=AssessmentKind.INSPECTION,
        ).first()
    if self_assessment is None or inspection is None:
        return None
    own, theirs = assessment_result(self_assessment), assessment_result(inspection)
    ratings = {
        (r.assessment_id, r.criterion_id): r
        for r in Rating.objects.filter(assessment__in=[self_assessment, inspection]).select_related("criterion")
    }
    criteria = {
        c.code: c for c in Criterion.objects.filter(standard_id=assessment.standard_id).select_related("item__chapter")
    }
    rows: list[dict[str, Any]] = []
    for code in set(own.weighted_scores) | set(theirs.weighted_scores):
        c = criteria[code]
        s, i = own.weighted_scores.get(code), theirs.weighted_scores.get(code)
        rows.append(
            {
                "criterion": c,
                "self_rating": ratings.get((self_assessment.pk, c.pk)),
                "inspection_rating": ratings.get((inspection.pk, c.pk)),
                "self_score": s,
                "inspection_score": i,
                "gap": (s - i) if s is not None and i is not None else None,
            }
        )
    rows.sort(key=lambda r: (r["gap"] is None, -abs(r["gap"] or 0), r["criterion"].position))
    chapters: list[dict[str, Any]] = [
        {
            "number": int(a.key),
            "title": a.title,
            "self_score": a.score,
            "inspection_score": b.score,
            "max_points": a.max_points,
            "gap": a.score - b.score,
        }
        for a, b in zip(own.chapters, theirs.chapters, strict=True)
    ]
    chapters.sort(key=lambda r: (-abs(r["gap"]), r["number"]))
    return {
        "self_assessment": self_assessment,
        "inspection": inspection,
        "rows": rows,
        "chapters": chapters,
        "self_total": own.total,
        "inspection_total": theirs.total,
        "gap": own.total - theirs.total,
    }


def score_sheet_standard(standard: Standard) -> excel.SheetStandard:
    """A standard laid out for a score sheet, chapter by item by criterion, in one query."""
    criteria = (
        Criterion.objects.filter(standard=standard)
        .select_related("item__chapter")
        .order_by("item__chapter__number", "item__position", "position")
    )
    chapters: dict[int, tuple[Chapter, dict[int, tuple[Item, list[excel.SheetCriterion]]]]] = {}
    for c in criteria:
        item, chapter = c.item, c.item.chapter
        items = chapters.setdefault(chapter.pk, (chapter, {}))[1]
        items.setdefault(item.pk, (item, []))[1].append(
            excel.SheetCriterion(
                code=c.code,
                content=c.content,
                text=c.text,
                remark=c.remark,
                note=c.note,
                max_points=c.max_points,
                veto=c.veto,
                applies_to=c.applies_to,
                key_specialty_weight=c.key_specialty_weight,
            )
        )
    return excel.SheetStandard(
        code=standard.code,
        title=standard.title,
        document_number=standard.document_number,
        total_points=standard.total_points,
        chapters=tuple(
            excel.SheetChapter(
                number=chapter.number,
                title=chapter.title,
                max_points=chapter.max_points,
                items=tuple(
                    excel.SheetItem(code=item.code, title=item.title, max_points=item.max_points, criteria=tuple(rows))
                    for item, rows in items.values()
                ),
            )
            for chapter, items in chapters.values()
        ),
    )


def score_sheet_assessment(assessment: Assessment) -> excel.SheetAssessment:
    """An assessment's header facts, ratings (with versions) and result for a filled score sheet."""
    ratings = {
        code: excel.SheetRating(rating=rating, score=score, remark=remark, version=version)
        for code, rating, score, remark, version in Rating.objects.filter(assessment=assessment).values_list(
            "criterion__code", "rating", "score", "remark", "version"
        )
    }
    return excel.SheetAssessment(
        id=assessment.pk,
        hospital_id=assessment.hospital_id,
        hospital=assessment.hospital.name,
        level=assessment.hospital.get_level_display(),
        key_specialty=assessment.hospital.key_specialty,
        kind=assessment.kind,
        kind_label=assessment.get_kind_display(),
        year=assessment.year,
        status_label=assessment.get_status_display(),
        submitted_at=assessment.submitted_at,
        finalized_at=assessment.finalized_at,
        result=assessment_result_data(assessment),
        ratings=ratings,
    )
