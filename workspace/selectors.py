"""The page contexts of the workspace: one assessment with everything the apps below say about it.

Each context costs a constant number of queries, whatever the number of criteria. What a user
may do comes from `scoring.permissions.allowed_actions`, the one table; suggestions from
`workspace.suggestions`; evidence from evidence; the rectification plan from rectification.
"""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.typing import AnyUser
from common.numbers import fmt
from evidence.selectors import evidence_awaiting_review, evidence_by_criterion
from rectification.selectors import plan_for
from scoring import engine
from scoring import permissions as scoring_permissions
from scoring.models import (
    AppliesTo,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Chapter,
    Criterion,
    CriterionReturn,
    Rating,
    ReturnStatus,
)
from scoring.permissions import Action
from scoring.selectors import assessment_result_data, assessment_result_data_with_revision, paired_self_assessment
from scoring.services import Suggestions

from .suggestions import indicator_suggestions, needs_explicit_choice, rule_evaluations

CODE = "__code__"  # where a criterion's code goes in the URLs of its line


def line_text() -> dict[str, str]:
    """The fixed words of a criterion's line, translated once per page rather than once per criterion."""
    return {
        "veto": _("单项否决"),
        "points": _("分"),
        "self": _("自评"),
        "unrated": _("未评"),
        "suggested_met": _("建议达标"),
        "suggested_unmet": _("建议未达标"),
        "returned": _("已退回"),
        "met": _("达标"),
        "partial": _("基本达标"),
        "unmet": _("未达标"),
        "score": _("得分"),
        "save": _("保存"),
        "failed": _("保存失败，请重试"),
        "offline": _("网络连接失败，未保存；恢复后将自动重试"),
        "dirty": _("有修改，尚未保存"),
        "needs_score": _("请填写得分，填写后保存"),
        "details": _("详情"),
        "has_remark": _("有备注"),
        "loading": _("正在加载详情…"),
        "on_chapter": _("在章节页面中查看"),
    }


def _entries(
    assessment: Assessment, criteria: list[Criterion], user: AnyUser, *, self_assessment: Assessment | None
) -> list[dict[str, Any]]:
    """Each applicable criterion with what the page shows and allows: a constant number of queries.

    On an inspection the department's self-rating and evidence stand beside the inspector's rating.
    """
    key = assessment.hospital.key_specialty
    level = assessment.hospital.level
    criteria = [
        c for c in criteria if (c.applies_to == AppliesTo.ALL or key) and level not in (c.not_applicable_levels or [])
    ]
    ids = [c.pk for c in criteria]
    ratings = {
        r.criterion_id: r
        for r in Rating.objects.filter(assessment=assessment, criterion_id__in=ids).select_related("rated_by")
    }
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
    # The inspectors' own files (a photo taken on site) stand beside the department's on an inspection.
    inspection = assessment.kind == AssessmentKind.INSPECTION
    inspection_evidence = evidence_by_criterion(assessment, ids) if inspection else {}
    open_returns = {
        r.criterion_id: r
        for r in CriterionReturn.objects.filter(assessment=department, criterion_id__in=ids, status=ReturnStatus.OPEN)
    }
    suggestions = indicator_suggestions(assessment, ids)
    rule_checks = rule_evaluations(assessment, ids)
    actions = scoring_permissions.allowed_actions(user, assessment)
    rates = Action.RATE in actions
    chapters = scoring_permissions.rateable_chapters(user, assessment) if rates else frozenset()
    department_actions = actions if department is assessment else scoring_permissions.allowed_actions(user, department)
    upload = department is assessment and rates
    attach = inspection and Action.ATTACH in actions
    # Once the inspection is finalized, everything about the pair is locked.
    closed = assessment.status == AssessmentStatus.FINALIZED
    review = not closed and department.kind == AssessmentKind.SELF and Action.REVIEW in department_actions
    # Only an inspection must say why it departs from a suggestion (scoring.services.rating_set).
    justify = assessment.kind == AssessmentKind.INSPECTION
    # The line's words that name the criterion, formatted here once each rather than by a template tag per
    # criterion (workspace/partials/criterion.html; the message ids are the templates' own).
    urls = {name: reverse(name, args=[assessment.pk, CODE]) for name in ("rating-save", "criterion-details")}
    chapter_urls: dict[int, str] = {}
    legend = _("%(code)s 的评定")
    score_help = _("基本达标时必填：大于 0、小于 %(max)s，以 0.5 分为单位")
    entries = []
    for c in criteria:
        open_return = open_returns.get(c.pk) if department is assessment else None
        editable = (
            rates
            and (chapters is None or c.item.chapter.number in chapters)
            # A returned assessment is open only on the returned criteria.
            and (assessment.status != AssessmentStatus.RETURNED or open_return is not None)
        )
        spec = engine.CriterionSpec(
            code=c.code, chapter=0, item="", max_points=c.max_points, key_specialty_weight=c.key_specialty_weight
        )
        rating = ratings.get(c.pk)
        self_rating = self_ratings.get(c.pk)
        indicator = suggestions.get(c.code)
        rule_check = rule_checks.get(c.code)
        suggested: Suggestions = {
            "suggested": indicator["rating"] if indicator else None,
            "profile_suggested": rule_check.suggestion if rule_check else None,
        }
        definite = [value for value in suggested.values() if value]
        number = c.item.chapter.number
        if number not in chapter_urls:
            chapter_urls[number] = reverse("assessment-chapter", args=[assessment.pk, number])
        n_evidence = len(evidence.get(c.pk, []))
        entries.append(
            {
                "criterion": c,
                "rating": rating,
                "current": rating.rating if rating else "",
                "weight": engine.weight(spec, key_specialty=key),
                "editable": editable,
                "self_rating": self_rating,
                "differs": bool(rating and self_rating and rating.rating != self_rating.rating),
                "evidence": evidence.get(c.pk, []),
                "evidence_assessment": department if department.kind == AssessmentKind.SELF else None,
                "can_upload": upload and editable,
                "inspection_evidence": inspection_evidence.get(c.pk, []),
                # Attaching goes with rating this criterion (a round team member's chapters only).
                "can_attach": attach and editable,
                "can_review": review,
                "open_return": open_returns.get(c.pk),
                "can_return": review and c.pk not in open_returns,
                "suggestion": indicator,
                "rule_check": rule_check,
                # The definite suggestion shown in the line: 未达标 wins over 达标 when the two disagree.
                "suggested": "unmet" if "unmet" in definite else (definite[0] if definite else None),
                "justify": justify,
                "bulk": editable and rating is None and not needs_explicit_choice(c, suggested),
                "save_url": urls["rating-save"].replace(CODE, c.code),
                "details_url": urls["criterion-details"].replace(CODE, c.code),
                "chapter_url": f"{chapter_urls[number]}#c-{c.code}",
                "legend": legend % {"code": c.code},
                "score_help": score_help % {"max": fmt(c.max_points)},
                "evidence_text": ngettext("佐证 %(n)s", "佐证 %(n)s", n_evidence) % {"n": n_evidence},
            }
        )
    return entries


FORM_FILTERS = ("all", "unrated", "veto", "no_evidence", "differs", "returned")
SEARCH_MAX_CHARS = 100


def _shown(entry: dict[str, Any], show: str, words: list[str]) -> bool:
    """Whether an entry passes the page's filter and every word of its search (code and wording)."""
    if show == "unrated" and entry["rating"] is not None:
        return False
    if show == "veto" and not entry["criterion"].veto:
        return False
    if show == "no_evidence" and entry["evidence"]:
        return False
    if show == "differs" and not entry["differs"]:
        return False
    if show == "returned" and entry["open_return"] is None:
        return False
    if words:
        c = entry["criterion"]
        text = " ".join((c.code, c.content, c.text, c.note, c.remark)).casefold()
        return all(word in text for word in words)
    return True


def assessment_form_page(
    assessment: Assessment,
    *,
    chapter_number: int | None,
    show: str,
    user: AnyUser,
    query: str = "",
    inline_details: bool = True,
) -> dict[str, Any] | None:
    """The workspace: every chapter's criteria on one page (or one chapter's), filtered and searched.

    A constant number of queries, whatever the number of criteria. None: no such chapter.
    Without `inline_details` each criterion is its compact line, its details fetched when opened
    (`criterion_details_page`), except those the page shows open: a returned criterion to answer.
    """
    chapters = list(Chapter.objects.filter(standard_id=assessment.standard_id).order_by("number"))
    if not chapters:
        return None
    chapter = next((c for c in chapters if c.number == chapter_number), None) if chapter_number else None
    if chapter_number and chapter is None:
        return None
    criteria = Criterion.objects.filter(standard_id=assessment.standard_id)
    if chapter is not None:
        criteria = criteria.filter(item__chapter=chapter)
    self_assessment = paired_self_assessment(assessment)
    entries = _entries(
        assessment,
        list(criteria.select_related("item__chapter").order_by("position")),
        user,
        self_assessment=self_assessment,
    )
    for e in entries:
        e["details_inline"] = inline_details or bool(e["open_return"] and e["editable"])
    show = show if show in FORM_FILTERS else "all"
    query = query.strip()[:SEARCH_MAX_CHARS]
    words = query.casefold().split()
    groups: list[dict[str, Any]] = []
    for ch in [chapter] if chapter is not None else chapters:
        mine = [e for e in entries if e["criterion"].item.chapter_id == ch.pk]
        groups.append(
            {
                "chapter": ch,
                "entries": [e for e in mine if _shown(e, show, words)],
                "rated": sum(1 for e in mine if e["rating"] is not None),
                "applicable": len(mine),
                "bulk": sum(1 for e in mine if e["bulk"]),
                "explicit": sum(1 for e in mine if e["editable"] and e["rating"] is None and not e["bulk"]),
            }
        )
    returns = list(
        CriterionReturn.objects.filter(assessment=assessment, status=ReturnStatus.OPEN)
        .select_related("criterion__item__chapter", "returned_by")
        .order_by("criterion__position")
    )
    allowed = scoring_permissions.allowed_actions(user, assessment)
    result, revision = assessment_result_data_with_revision(assessment)
    return {
        "assessment": assessment,
        "line": line_text(),
        "chapters": chapters,
        "chapter": chapter,
        "groups": groups,
        "shown": sum(len(g["entries"]) for g in groups),
        "result": result,
        "result_revision": revision,
        "show": show,
        "query": query,
        "filters": [f for f in FORM_FILTERS if f != "differs" or self_assessment is not None],
        "open_returns": returns,
        "self_assessment": self_assessment,
        "allowed": allowed,
        # Whether the page is for rating at all (else it says why it is read-only).
        "can_rate": any(e["editable"] for e in entries)
        or (Action.RATE in allowed and assessment.status == AssessmentStatus.DRAFT),
    }


def criterion_fragment(assessment: Assessment, criterion: Criterion, user: AnyUser) -> dict[str, Any]:
    """One criterion with its current rating, evidence and the totals, for the autosave answer."""
    criterion = Criterion.objects.select_related("item__chapter").get(pk=criterion.pk)
    entry = _entries(assessment, [criterion], user, self_assessment=paired_self_assessment(assessment))[0]
    entry["details_inline"] = True  # one criterion: its details come with it, open if they were
    result, revision = assessment_result_data_with_revision(assessment)
    return {
        "assessment": assessment,
        "entry": entry,
        "line": line_text(),
        "result": result,
        "result_revision": revision,
    }


def criterion_details_page(assessment: Assessment, code: str, user: AnyUser) -> dict[str, Any] | None:
    """One criterion's details, fetched when its line is opened: a constant number of queries.

    None: no such criterion in the assessment's standard, or one that does not apply to the department.
    """
    criterion = (
        Criterion.objects.filter(standard_id=assessment.standard_id, code=code).select_related("item__chapter").first()
    )
    if criterion is None:
        return None
    entries = _entries(assessment, [criterion], user, self_assessment=paired_self_assessment(assessment))
    return {"assessment": assessment, "entry": entries[0]} if entries else None


def assessment_confirm_page(assessment: Assessment, user: AnyUser) -> dict[str, Any]:
    """The result with the unrated and failed-veto criteria spelled out (for submit, finalize and result pages).

    Criteria come with their chapter, so each links to its own card; `allowed` says what the user may do now.
    """
    result = assessment_result_data(assessment)
    codes = set(result["unrated"]) | set(result["veto_failed"])
    by_code = {
        c.code: c
        for c in Criterion.objects.filter(standard_id=assessment.standard_id, code__in=codes).select_related(
            "item__chapter"
        )
    }
    return {
        "assessment": assessment,
        "result": result,
        "outcome_reasons": engine.failure_reasons(result),
        "unrated": [by_code[c] for c in result["unrated"] if c in by_code],
        "veto_failed": [by_code[c] for c in result["veto_failed"] if c in by_code],
        "allowed": scoring_permissions.allowed_actions(user, assessment),
        "kinds": AssessmentKind,
    }


def assessment_finalize_page(assessment: Assessment, user: AnyUser) -> dict[str, Any]:
    """The finalize confirmation: the confirmation's facts, and the department's files still awaiting review.

    An inspection is read against the self-assessment, whose files its inspectors review: those are listed.
    """
    context = assessment_confirm_page(assessment, user)
    department = paired_self_assessment(assessment) if assessment.kind == AssessmentKind.INSPECTION else assessment
    context["awaiting_review"] = evidence_awaiting_review(department) if department is not None else []
    return context


def assessment_result_page(assessment: Assessment, user: AnyUser) -> dict[str, Any]:
    """The result page: the confirmation's facts, and a finalized inspection's rectification plan."""
    context = assessment_confirm_page(assessment, user)
    is_final_inspection = assessment.kind == AssessmentKind.INSPECTION and assessment.is_finalized
    context["rectification_items"] = plan_for(assessment) if is_final_inspection else None
    return context
