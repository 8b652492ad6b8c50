"""Reads of standards and assessments, scoped to the asking user, and the engine's inputs."""

import functools
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import HOSPITAL_ROLES, User
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from common.memo import ProcessLRU

from . import engine, excel
from .models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Chapter,
    Criterion,
    GradeThreshold,
    Item,
    Rating,
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


def unfinished_inspections() -> Q:
    """Inspections whose ratings are still the inspectors' working notes (not finalized)."""
    return Q(kind=AssessmentKind.INSPECTION) & ~Q(status=AssessmentStatus.FINALIZED)


def assessments_visible_to(user: AnyUser) -> QuerySet[Assessment]:
    """Assessments of the hospitals the user may see; the one scope for HTML views and the API.

    A department sees its inspection once it is finalized, as it would hear the result at the
    feedback meeting: until then the ratings and remarks are the inspectors' working notes, and a
    submitted inspection may still be reopened. So pages, API, history, sheet and reports of a
    draft, submitted or returned inspection answer a department 404.
    """
    qs = scope_by_hospital(Assessment.objects.select_related("hospital", "standard"), user)
    if isinstance(user, User) and user.effective_role in HOSPITAL_ROLES:
        qs = qs.exclude(unfinished_inspections())
    return qs


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
            "code",
            "item__chapter__number",
            "item__code",
            "max_points",
            "veto",
            "applies_to",
            "key_specialty_weight",
            "not_applicable_levels",
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
            not_applicable_levels=tuple(na_levels or ()),
        )
        for code, chapter, item, max_points, veto, applies_to, weight, na_levels in rows
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


# Computed results, per process, keyed by everything a result depends on: the assessment's ratings (through
# their revision, which the database changes in the same transaction as any rating: scoring/db_guards.py),
# the standard's parts (its revision) and the hospital's level and key-specialty flag. Revisions come from
# sequences that never go back, so a key never stands for two different results: an entry is never stale,
# it just stops being asked for and ages out. Values are shared by every caller: read them, never change them.
ResultKey = tuple[int, int, int, int, str, bool]
# One entry per assessment (its newest key): about 30 KiB each (all 102 criteria), under 8 MiB per process.
_RESULTS: ProcessLRU[int, tuple[ResultKey, engine.Result, dict[str, Any]]] = ProcessLRU(256)


def _result_key(assessment: Assessment, ratings_revision: int) -> ResultKey:
    hospital = assessment.hospital
    return (
        assessment.pk,
        ratings_revision,
        assessment.standard_id,
        assessment.standard.revision,
        hospital.level,
        hospital.key_specialty,
    )


def _cached_result(key: ResultKey) -> tuple[engine.Result, dict[str, Any]] | None:
    entry = _RESULTS.get(key[0])
    if entry is None or entry[0] != key:
        return None
    return entry[1], entry[2]


def _store_result(key: ResultKey, result: engine.Result, data: dict[str, Any]) -> None:
    _RESULTS.put(key[0], (key, result, data))


def results_cache_clear() -> None:
    """Forget every cached result of this process (tests; never needed for correctness)."""
    _RESULTS.clear()


def _live_result(
    assessment: Assessment, ratings_revision: int | None
) -> tuple[engine.Result, dict[str, Any], int | None]:
    """The computed result, its JSON-ready form and the ratings revision it is for (None: no ratings), from the
    cache when its key is current.

    `ratings_revision`: the revision of an assessment row read in this request with nothing written since (the
    API's result); the cache then answers without a query. Otherwise the ratings are read with their revision in
    one statement (one snapshot, so the revision names exactly these ratings), and a result already computed for
    that revision is reused.
    """
    if ratings_revision is not None:
        hit = _cached_result(_result_key(assessment, ratings_revision))
        if hit is not None:
            return (*hit, ratings_revision)
    parts = standard_parts(assessment.standard)
    rows = list(
        Rating.objects.filter(assessment_id=assessment.pk).values_list(
            "assessment__ratings_revision", "criterion__code", "rating", "score"
        )
    )
    key = _result_key(assessment, rows[0][0]) if rows else None
    if key is not None:
        hit = _cached_result(key)
        if hit is not None:
            return (*hit, rows[0][0])
    result = engine.evaluate(
        criteria=parts.criteria,
        ratings={code: engine.RatingInput(rating=r, score=s) for _rev, code, r, s in rows},
        key_specialty=assessment.hospital.key_specialty,
        level=assessment.hospital.level,
        thresholds=parts.thresholds,
        chapters=parts.chapters,
        items=parts.items,
    )
    data = engine.result_as_dict(result)
    if key is not None:  # no ratings: nothing names this state, and it costs nothing to compute
        _store_result(key, result, data)
    return result, data, rows[0][0] if rows else None


def assessment_result(assessment: Assessment, *, ratings_revision: int | None = None) -> engine.Result:
    """Score an assessment with the engine: the ratings are one query (none when `ratings_revision` is current
    and cached); the standard's parts are cached under its revision, the result under the ratings revision."""
    return _live_result(assessment, ratings_revision)[0]


def assessment_result_data(assessment: Assessment, *, ratings_revision: int | None = None) -> dict[str, Any]:
    """The result as shown everywhere: frozen at finalization, computed live before (shared: do not change it).

    Pass `ratings_revision` only when the assessment was read in this request and nothing was written since.
    """
    if assessment.is_finalized and assessment.final_result is not None:
        return engine.with_fixed_outcome(assessment.final_result)
    return _live_result(assessment, ratings_revision)[1]


def assessment_result_data_with_revision(assessment: Assessment) -> tuple[dict[str, Any], int | None]:
    """`assessment_result_data` and the ratings revision it shows (None: no rating yet).

    Revisions grow with every write, in commit order (the writes of one assessment queue on its row), so a page
    that receives several answers keeps the newest result whatever order they arrive in.
    """
    if assessment.is_finalized and assessment.final_result is not None:
        return engine.with_fixed_outcome(assessment.final_result), assessment.ratings_revision
    _result, data, revision = _live_result(assessment, None)
    return data, revision


def applicable_counts() -> dict[int, dict[str, int]]:
    """Criteria per standard and scope: {standard_id: {"all": n, "key_specialty": m, "all:2A": k, ...}} (one
    query); "<scope>:<level>" counts the criteria of that scope not applicable at that level."""
    counts: dict[int, dict[str, int]] = {}
    rows = Criterion.objects.values_list("standard_id", "applies_to", "not_applicable_levels").order_by()
    for standard_id, applies_to, na_levels in rows:
        per = counts.setdefault(standard_id, {"all": 0, "key_specialty": 0})
        per[applies_to] = per.get(applies_to, 0) + 1
        for level in na_levels or ():
            per[f"{applies_to}:{level}"] = per.get(f"{applies_to}:{level}", 0) + 1
    return counts


def applicable_number(per_scope: dict[str, int], *, key_specialty: bool, level: str) -> int:
    """How many criteria apply to a department, from one standard's `applicable_counts` entry."""
    scopes = ("all", "key_specialty") if key_specialty else ("all",)
    return sum(per_scope.get(s, 0) - per_scope.get(f"{s}:{level}", 0) for s in scopes)


def assessments_with_progress(qs: QuerySet[Assessment]) -> list[dict[str, Any]]:
    """Each assessment with rated / applicable counts, in two queries whatever the number of rows."""
    counts = applicable_counts()
    rows = []
    for assessment in qs.annotate(rated=Count("ratings")).order_by("-year", "hospital__name", "kind"):
        per_scope = counts.get(assessment.standard_id, {"all": 0, "key_specialty": 0})
        hospital = assessment.hospital
        applicable = applicable_number(per_scope, key_specialty=hospital.key_specialty, level=hospital.level)
        rows.append({"assessment": assessment, "rated": assessment.rated, "applicable": applicable})
    return rows


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


def assessment_variance(assessment: Assessment, *, within: QuerySet[Assessment] | None = None) -> dict[str, Any] | None:
    """Self-assessment against inspection, per criterion and per chapter, largest gaps first.

    `assessment` may be either of the pair; None when the other half does not exist (among
    `within`, e.g. what the asking user may see; default: every assessment).
    A gap is self minus inspection, in weighted points: positive means the department
    rated itself higher than the inspectors did.
    """
    inspection: Assessment | None
    self_assessment: Assessment | None
    if assessment.kind == AssessmentKind.INSPECTION:
        inspection, self_assessment = assessment, paired_self_assessment(assessment)
    else:
        self_assessment = assessment
        inspection = (
            (within if within is not None else Assessment.objects.all())
            .filter(
                hospital_id=assessment.hospital_id,
                standard_id=assessment.standard_id,
                year=assessment.year,
                kind=AssessmentKind.INSPECTION,
            )
            .first()
        )
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
