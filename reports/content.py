"""What a report prints, as plain JSON-ready data.

The same dict is rendered by the template and hashed (`content_sha256`), so the checksum printed
on the last page stands for exactly what the pages show. Values are strings, ints, booleans,
None, lists and dicts only: decimals are formatted with the engine's `fmt`, times are local
strings. Reads here are not scoped to a user: the job's target passed the visibility check when
the report was requested.
"""

import hashlib
import json
import operator
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Level, Role, User
from accounts.names import display_name
from common.numbers import fmt
from evidence.models import Evidence
from indicators import presentation
from indicators.selectors import hospital_year
from rectification.selectors import plan_for
from rounds.models import InspectionRound, RoundHospital, RoundInspector
from scoring import engine, selectors
from scoring.models import (
    AppliesTo,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Chapter,
    Criterion,
    GradeThreshold,
    Item,
    Rating,
    RatingValue,
)

from . import charts

# How many rows the variance and failed-criteria tables list at most.
VARIANCE_ROWS = 20
FAILED_ROWS = 10


def canonical_json(data: Any) -> bytes:
    """The data as canonical JSON bytes: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def content_sha256(data: Any) -> str:
    """The SHA-256 printed on a report: of its content data as canonical JSON."""
    return hashlib.sha256(canonical_json(data)).hexdigest()


def _time(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def _person(user: User | None) -> str:
    return display_name(user)


def _level(code: str) -> str:
    return str(Level(code).label) if code in Level.values else code


def _outcome(code: str, fixed: str | None = None) -> str:
    """The verdict's words; an incomplete assessment with a ★ item unmet is already 未达标 (single-item veto)."""
    if code == engine.INCOMPLETE and fixed == engine.FAIL:
        return str(_("未达标（★ 单项否决）"))
    labels = {engine.PASS: _("达标"), engine.FAIL: _("未达标"), engine.INCOMPLETE: _("未完成评分")}
    return str(labels.get(code, code))


def _rating_label(code: str) -> str:
    return str(RatingValue(code).label) if code in RatingValue.values else ""


def _pct(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return ""
    return fmt((part * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _meta(job_id: int, generated_at: Any, standard: Any) -> dict[str, Any]:
    return {
        "report_no": f"R{job_id:06d}",
        "generated_at": _time(generated_at),
        "standard": {
            "code": standard.code,
            "title": standard.title,
            "issuer": standard.issuer,
            "document_number": standard.document_number,
        },
    }


def _round_entry(assessment: Assessment) -> RoundHospital | None:
    return (
        RoundHospital.objects.filter(Q(inspection=assessment) | Q(self_assessment=assessment))
        .select_related("round")
        .first()
    )


def _team(entry: RoundHospital | None, assessment: Assessment) -> list[dict[str, Any]]:
    """The round's inspection team, else whoever of the QC side rated the assessment."""
    if entry is not None:
        members = RoundInspector.objects.filter(entry=entry).select_related("inspector")
        team = [
            {
                "name": _person(m.inspector),
                "is_lead": m.is_lead,
                "chapters": "、".join(str(c) for c in m.chapters),
            }
            for m in members
        ]
        if team:
            return team
    if assessment.kind != AssessmentKind.INSPECTION:
        return []
    raters = User.objects.filter(
        pk__in=Rating.objects.filter(assessment=assessment).values("rated_by"),
        role__in=[Role.INSPECTOR, Role.QC_ADMIN],
    ).order_by("username")
    return [{"name": _person(u), "is_lead": False, "chapters": ""} for u in raters]


def _summary(result: dict[str, Any], chapters: list[Chapter], items: list[Item]) -> list[dict[str, Any]]:
    """The 评分一览: each chapter with its items, weights (maxima) and scores."""
    item_scores = {i["code"]: i for i in result["items"]}
    chapter_scores = {c["number"]: c for c in result["chapters"]}
    rows = []
    for chapter in chapters:
        scored = chapter_scores.get(chapter.number, {"score": "0", "max_points": "0"})
        rows.append(
            {
                "number": chapter.number,
                "title": chapter.title,
                "nominal": fmt(chapter.max_points),
                "max_points": scored["max_points"],
                "score": scored["score"],
                "items": [
                    {
                        "code": item.code,
                        "title": item.title,
                        "nominal": fmt(item.max_points),
                        "max_points": item_scores[item.code]["max_points"],
                        "score": item_scores[item.code]["score"],
                    }
                    for item in items
                    if item.chapter_id == chapter.pk
                    and item.code in item_scores
                    and item_scores[item.code]["max_points"] != "0"
                ],
            }
        )
    return rows


def _criteria(
    assessment: Assessment, chapters: list[Chapter], items: list[Item], weighted: dict[str, Decimal]
) -> list[dict[str, Any]]:
    """Every applicable criterion by chapter and item: wording, points, rating, score, remark, evidence."""
    key = assessment.hospital.key_specialty
    criteria = [
        c
        for c in Criterion.objects.filter(standard_id=assessment.standard_id).order_by("position")
        if c.applies_to == AppliesTo.ALL or key
    ]
    ratings = {r.criterion_id: r for r in Rating.objects.filter(assessment=assessment)}
    department = selectors.paired_self_assessment(assessment) if assessment.kind == AssessmentKind.INSPECTION else None
    if assessment.kind == AssessmentKind.SELF:
        department = assessment
    evidence: dict[int, int] = {}
    if department is not None:
        evidence = dict(
            Evidence.objects.filter(assessment=department)
            .values("criterion_id")
            .annotate(n=Count("id"))
            .values_list("criterion_id", "n")
        )
    # The inspectors' own files (photos taken on site), listed by name under their criterion: "检 N".
    inspection_files: dict[int, list[str]] = {}
    if assessment.kind == AssessmentKind.INSPECTION:
        for criterion_id, name in (
            Evidence.objects.filter(assessment=assessment)
            .order_by("uploaded_at", "id")
            .values_list("criterion_id", "original_name")
        ):
            inspection_files.setdefault(criterion_id, []).append(name)
    by_item: dict[int, list[dict[str, Any]]] = {}
    for c in criteria:
        r = ratings.get(c.pk)
        spec = engine.CriterionSpec(
            code=c.code, chapter=0, item="", max_points=c.max_points, key_specialty_weight=c.key_specialty_weight
        )
        w = engine.weight(spec, key_specialty=key)
        by_item.setdefault(c.item_id, []).append(
            {
                "code": c.code,
                "content": c.content,
                "text": c.text,
                "max_points": fmt(c.max_points),
                "weight": fmt(w) if w != engine.ONE else "",
                "veto": c.veto,
                "key_only": c.applies_to == AppliesTo.KEY_SPECIALTY,
                "rating": r.rating if r else "",
                "rating_label": _rating_label(r.rating) if r else "",
                "score": fmt(r.score) if r else "",
                "weighted_score": fmt(weighted[c.code]) if c.code in weighted else "",
                "remark": r.remark if r else "",
                "evidence": evidence.get(c.pk, 0),
                "inspection_files": inspection_files.get(c.pk, []),
            }
        )
    out = []
    for chapter in chapters:
        chapter_items = [
            {"code": i.code, "title": i.title, "criteria": by_item[i.pk]}
            for i in items
            if i.chapter_id == chapter.pk and by_item.get(i.pk)
        ]
        if chapter_items:
            out.append({"number": chapter.number, "title": chapter.title, "items": chapter_items})
    return out


def _indicators(assessment: Assessment) -> list[dict[str, Any]]:
    """The hospital's quality indicators for the assessment's year, those with data only."""
    hospital = assessment.hospital
    rows = []
    for row in hospital_year(hospital, assessment.year):
        rate = row["year"]
        shown = presentation.shown(rate)
        if shown is None or shown.no_data:
            continue
        indicator = row["indicator"]
        rows.append(
            {
                "set": indicator.indicator_set.name,
                "name": indicator.name,
                "rate": shown.text,
                "counts": shown.counts,
                "target": presentation.target_text(indicator, hospital.level),
                "provenance": presentation.provenance_line(indicator),
                "met": shown.met,
                "too_few": shown.too_few,
            }
        )
    return rows


def _variance(assessment: Assessment) -> dict[str, Any] | None:
    # Printed only against a finalized inspection: the report may reach the department, who sees the
    # inspection's ratings only from then on (scoring.selectors.assessments_visible_to).
    variance = selectors.assessment_variance(
        assessment, within=Assessment.objects.filter(status=AssessmentStatus.FINALIZED)
    )
    if variance is not None and not variance["inspection"].is_finalized:
        return None
    if variance is None:
        return None
    differing = [r for r in variance["rows"] if r["gap"] is not None and r["gap"] != 0]
    return {
        "self_total": fmt(variance["self_total"]),
        "inspection_total": fmt(variance["inspection_total"]),
        "gap": fmt(variance["gap"]),
        "chapters": [
            {
                "number": c["number"],
                "title": c["title"],
                "self_score": fmt(c["self_score"]),
                "inspection_score": fmt(c["inspection_score"]),
                "gap": fmt(c["gap"]),
            }
            for c in sorted(variance["chapters"], key=operator.itemgetter("number"))
        ],
        "differing": len(differing),
        "rows": [
            {
                "code": r["criterion"].code,
                "content": r["criterion"].content or r["criterion"].text[:40],
                "self_rating": _rating_label(r["self_rating"].rating) if r["self_rating"] else "",
                "inspection_rating": _rating_label(r["inspection_rating"].rating) if r["inspection_rating"] else "",
                "self_score": fmt(r["self_score"]),
                "inspection_score": fmt(r["inspection_score"]),
                "gap": fmt(r["gap"]),
            }
            for r in differing[:VARIANCE_ROWS]
        ],
    }


def _rectification(assessment: Assessment) -> list[dict[str, Any]] | None:
    if assessment.kind != AssessmentKind.INSPECTION or not assessment.is_finalized:
        return None
    return [
        {
            "code": item.criterion.code,
            "content": item.criterion.content or item.criterion.text[:40],
            "rating": item.get_rating_display(),
            "score": fmt(item.score),
            "due_date": _date(item.due_date),
            "status": item.get_status_display(),
            "owner": _person(item.owner),
            "answer": item.answer,
        }
        for item in plan_for(assessment)
    ]


def assessment_report(assessment: Assessment, *, job_id: int, generated_at: Any) -> dict[str, Any]:
    """Everything the assessment report prints, as JSON-ready data."""
    hospital = assessment.hospital
    standard = assessment.standard
    result = selectors.assessment_result_data(assessment)
    fixed = engine.with_fixed_outcome(result)
    live = selectors.assessment_result(assessment)
    chapters = list(Chapter.objects.filter(standard=standard).order_by("number"))
    items = list(Item.objects.filter(chapter__standard=standard).order_by("chapter__number", "position"))
    entry = _round_entry(assessment)
    veto_codes = set(result["veto_failed"])
    veto_text = dict(Criterion.objects.filter(standard=standard, code__in=veto_codes).values_list("code", "content"))
    heads = User.objects.filter(hospital=hospital, role=Role.DEPARTMENT_HEAD, is_active=True).order_by("username")
    next_threshold = result.get("next_threshold")
    return {
        **_meta(job_id, generated_at, standard),
        "hospital": {
            "name": hospital.name,
            "level": _level(hospital.level),
            "key_specialty": hospital.key_specialty,
            "teaching": hospital.teaching,
            "district": hospital.district,
        },
        "assessment": {
            "id": assessment.pk,
            "kind": assessment.kind,
            "kind_label": assessment.get_kind_display(),
            "year": assessment.year,
            "status": assessment.get_status_display(),
            "finalized": assessment.is_finalized,
            "created_at": _time(assessment.created_at),
            "submitted_at": _time(assessment.submitted_at),
            "submitted_by": _person(assessment.submitted_by),
            "finalized_at": _time(assessment.finalized_at),
            "finalized_by": _person(assessment.finalized_by),
        },
        "round": (
            {
                "name": entry.round.name,
                "year": entry.round.year,
                "self_assessment_deadline": _date(entry.round.self_assessment_deadline),
                "inspection_start": _date(entry.round.inspection_start),
                "inspection_end": _date(entry.round.inspection_end),
            }
            if entry is not None
            else None
        ),
        "team": _team(entry, assessment),
        "heads": [_person(u) for u in heads],
        "result": {
            "total": result["total"],
            "max_total": result["max_total"],
            "rated": result["rated"],
            "applicable": result["applicable"],
            "level": _level(result["level"]),
            "threshold": result["threshold"],
            "threshold_gap": result["threshold_gap"],
            "outcome": result["outcome"],
            "outcome_fixed": fixed["outcome_fixed"],
            "reason": fixed["reason"],
            "outcome_label": _outcome(result["outcome"], fixed["outcome_fixed"]),
            # Incomplete but fixed by a ★ item: the veto is the reason; the partial total says nothing yet.
            "failure_reasons": (
                engine.failure_reasons(result)
                if result["outcome"] == engine.FAIL
                else [engine.VETO]
                if fixed["outcome_fixed"] == engine.FAIL
                else []
            ),
            "thresholds_met": [_level(code) for code in result["thresholds_met"]],
            "next_threshold": (
                {
                    "level": _level(next_threshold["level"]),
                    "points": next_threshold["points"],
                    "gap": next_threshold["gap"],
                }
                if next_threshold
                else None
            ),
            "veto_failed": [{"code": code, "content": veto_text.get(code, "")} for code in result["veto_failed"]],
            "unrated": len(result["unrated"]),
        },
        "summary": _summary(result, chapters, items),
        "chapters": _criteria(assessment, chapters, items, live.weighted_scores),
        "indicators": _indicators(assessment),
        "variance": _variance(assessment),
        "rectification": _rectification(assessment),
    }


def _rank(rows: list[dict[str, Any]]) -> None:
    """Competition ranking by total (1, 2, 2, 4), in place; rows are sorted best first."""
    previous: str | None = None
    for position, row in enumerate(rows, start=1):
        if row["total"] != previous:
            rank = position
        row["rank"] = rank
        previous = row["total"]


def round_summary(rnd: InspectionRound, *, job_id: int, generated_at: Any) -> dict[str, Any]:
    """The round's summary for the QC centre: ranking per level, chapter averages, failures, distribution.

    Figures come from finalized inspections (their results are frozen); hospitals whose inspection
    is not finalized yet are listed without a rank.
    """
    standard = rnd.standard
    thresholds = {level: points for level, points in selectors.thresholds_of(standard.pk).items()}
    # Only the keys of each frozen result that the summary prints are read out of the JSON, in SQL: a
    # full result (every item and criterion) per hospital would be most of the time for a big round.
    result = "inspection__final_result"
    entries = list(
        RoundHospital.objects.filter(round=rnd)
        .select_related("hospital", "inspection")
        .defer("inspection__final_result")
        .annotate(
            r_total=KeyTextTransform("total", result),
            r_outcome=KeyTextTransform("outcome", result),
            r_gap=KeyTextTransform("threshold_gap", result),
            r_veto=KeyTransform("veto_failed", result),
            r_chapters=KeyTransform("chapters", result),
            started=Exists(Rating.objects.filter(assessment=OuterRef("inspection"))),
        )
        .order_by("hospital__name")
    )
    chapters = list(Chapter.objects.filter(standard=standard).order_by("number"))
    frozen: dict[int, dict[str, Any]] = {
        e.pk: {
            "total": e.r_total,
            "outcome": e.r_outcome,
            "threshold_gap": e.r_gap,
            "veto_failed": e.r_veto or [],
            "chapters": e.r_chapters or [],
        }
        for e in entries
        if e.inspection is not None and e.inspection.is_finalized and e.r_total is not None
    }
    final = [e for e in entries if e.pk in frozen]
    levels = []
    for level in Level:
        here = [e for e in entries if e.hospital.level == level.value]
        if not here:
            continue
        ranked: list[dict[str, Any]] = []
        unranked: list[dict[str, Any]] = []
        for e in here:
            row: dict[str, Any] = {
                "hospital": e.hospital.name,
                "district": e.hospital.district,
                "key_specialty": e.hospital.key_specialty,
            }
            if e.pk in frozen:
                r = frozen[e.pk]
                row |= {
                    "total": r["total"],
                    "outcome": r["outcome"],
                    "outcome_label": _outcome(r["outcome"]),
                    "veto_failed": len(r["veto_failed"]),
                    "gap": r["threshold_gap"] or "0",
                }
                ranked.append(row)
            else:
                # An inspection opened but never rated has not begun either (the bulk ZIP leaves it out).
                status = e.inspection.get_status_display() if e.inspection and e.started else _("未开始")
                unranked.append(row | {"status": str(status)})
        ranked.sort(key=lambda r: (-Decimal(r["total"]), r["hospital"]))
        _rank(ranked)
        threshold = thresholds.get(level.value)
        levels.append(
            {
                "code": level.value,
                "label": str(level.label),
                "threshold": fmt(threshold) if threshold is not None else "",
                "ranked": ranked,
                "unranked": unranked,
                "passed": sum(1 for r in ranked if r["outcome"] == engine.PASS),
                "failed": sum(1 for r in ranked if r["outcome"] != engine.PASS),
            }
        )

    sums: dict[int, Decimal] = {c.number: Decimal(0) for c in chapters}
    for e in final:
        for c in frozen[e.pk]["chapters"]:
            sums[c["number"]] = sums.get(c["number"], Decimal(0)) + Decimal(c["score"])
    n = len(final)
    chapter_averages = []
    for c in chapters:
        average = (sums[c.number] / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if n else None
        chapter_averages.append(
            {
                "number": c.number,
                "title": c.title,
                "max_points": fmt(c.max_points),
                "average": fmt(average) if average is not None else "",
                "percent": _pct(average, c.max_points) if average is not None else "",
            }
        )

    final_ids = [e.inspection_id for e in final if e.inspection_id is not None]
    failed = (
        Rating.objects.filter(assessment_id__in=final_ids, rating__in=[RatingValue.UNMET, RatingValue.PARTIAL])
        .values("criterion__code", "criterion__content", "criterion__text", "criterion__veto", "criterion__position")
        .annotate(
            unmet=Count("id", filter=Q(rating=RatingValue.UNMET)),
            partial=Count("id", filter=Q(rating=RatingValue.PARTIAL)),
        )
        .order_by("-unmet", "-partial", "criterion__position")[:FAILED_ROWS]
    )
    veto_counts: Counter[str] = Counter()
    veto_hospitals: dict[str, list[str]] = {}
    for e in final:
        for code in frozen[e.pk]["veto_failed"]:
            veto_counts[code] += 1
            veto_hospitals.setdefault(code, []).append(e.hospital.name)
    veto_text = dict(
        Criterion.objects.filter(standard=standard, code__in=list(veto_counts)).values_list("code", "content")
    )
    totals = [Decimal(frozen[e.pk]["total"]) for e in final]
    level_names = {t.level: _level(t.level) for t in GradeThreshold.objects.filter(standard=standard)}
    return {
        **_meta(job_id, generated_at, standard),
        "round": {
            "name": rnd.name,
            "year": rnd.year,
            "self_assessment_deadline": _date(rnd.self_assessment_deadline),
            "inspection_start": _date(rnd.inspection_start),
            "inspection_end": _date(rnd.inspection_end),
        },
        "hospitals": len(entries),
        "finalized": n,
        "passed": sum(lv["passed"] for lv in levels),
        "failed": sum(lv["failed"] for lv in levels),
        "levels": levels,
        "chapter_averages": chapter_averages,
        "failed_criteria": [
            {
                "code": row["criterion__code"],
                "content": row["criterion__content"] or row["criterion__text"][:40],
                "veto": row["criterion__veto"],
                "unmet": row["unmet"],
                "partial": row["partial"],
            }
            for row in failed
        ],
        "veto_items": [
            {
                "code": code,
                "content": veto_text.get(code, ""),
                "count": count,
                "hospitals": "、".join(veto_hospitals[code]),
            }
            for code, count in sorted(veto_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "chart": charts.score_histogram(
            totals,
            thresholds={level_names.get(k, k): v for k, v in thresholds.items()},
            max_total=standard.total_points,
        ),
    }
