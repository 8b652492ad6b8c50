"""Writes of assessments, ratings and veto flags.

Each service checks the actor's right to act, validates, runs in one
transaction, records an audit event and returns the object. Views, the API,
the admin and tasks all call these; none holds rules of its own.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Hospital, Level, User
from accounts.names import display_name
from accounts.services import require_qc_admin
from accounts.typing import AnyUser
from audit.services import audit_record
from common.numbers import fmt

from . import engine, permissions
from .errors import AssessmentLocked, RatingConflict
from .excel import HOSPITAL_ROW, STANDARD_ROW, ParsedSheet, ScoreSheetInvalid, SheetError
from .models import (
    AppliesTo,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Criterion,
    CriterionReturn,
    Rating,
    ReturnStatus,
    Standard,
)
from .permissions import Action
from .selectors import assessment_result

# What the apps above scoring may suggest for a criterion's rating (see rating_set): key → "met" / "unmet" / None.
Suggestions = Mapping[str, str | None]
SUGGESTION_KEYS = ("suggested", "profile_suggested")
NO_SUGGESTIONS: Suggestions = {}

# The longest remark a rating keeps (the API's serializer says the same).
REMARK_MAX_CHARS = 5000

# The engine's rating rules, worded for people (translated by code).
RATING_MESSAGES = {
    "invalid_rating": gettext_lazy("“%(rating)s”不是有效的评定，应为 met、partial 或 unmet。"),
    "not_a_number": gettext_lazy("得分必须是数字。"),
    "not_half_point": gettext_lazy("得分的最小单位为 0.5 分。"),
    "met_needs_max": gettext_lazy("评定为达标时得分应为满分 %(max_points)s。"),
    "unmet_needs_zero": gettext_lazy("评定为未达标时得分应为 0。"),
    "partial_needs_score": gettext_lazy("评定为基本达标时必须填写得分。"),
    "partial_out_of_range": gettext_lazy("基本达标的得分应大于 0 且小于满分 %(max_points)s。"),
}


def _locked_for_update(assessment: Assessment) -> Assessment:
    """Re-read the assessment under a row lock so status checks and writes cannot interleave."""
    return (
        Assessment.objects.select_for_update(of=("self",)).select_related("hospital", "standard").get(pk=assessment.pk)
    )


@transaction.atomic
def assessment_create(*, actor: User, hospital: Hospital, standard: Standard, kind: str, year: int) -> Assessment:
    """Open a draft assessment of a hospital against a standard."""
    if kind not in AssessmentKind.values:
        raise ValidationError({"kind": _("“%(kind)s”不是有效的评审类型，应为 self 或 inspection。") % {"kind": kind}})
    if not permissions.can_create_assessment(actor, hospital_id=hospital.pk, kind=kind):
        raise PermissionDenied(_("您无权为该医院创建此类评审。"))
    if Assessment.objects.filter(hospital=hospital, standard=standard, kind=kind, year=year).exists():
        raise ValidationError({"year": _("该医院本年度已有同类评审。")})
    assessment = Assessment(hospital=hospital, standard=standard, kind=kind, year=year, created_by=actor)
    assessment.full_clean(exclude=["created_by", "submitted_by", "finalized_by"])
    try:
        with transaction.atomic():
            assessment.save()
    except IntegrityError as exc:  # a concurrent create won the race past full_clean
        raise ValidationError({"year": _("该医院本年度已有同类评审。")}) from exc
    audit_record(
        actor=actor,
        action="assessment.create",
        obj=assessment,
        after={"hospital": hospital.pk, "standard": standard.code, "kind": kind, "year": year},
        assessment=assessment,
    )
    return assessment


def _rating_snapshot(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {"rating": rating.rating, "score": fmt(rating.score), "remark": rating.remark}


def normalize_remark(remark: str) -> str:
    """A remark with plain "\n" line breaks: browsers send CRLF, spreadsheets keep LF, and both must compare equal."""
    return remark.replace("\r\n", "\n").replace("\r", "\n")


def _unchanged(stored: Rating, rating: str, score: Decimal, remark: str) -> bool:
    """Whether a save would store exactly what is stored already (rating, resolved score, remark)."""
    return (
        stored.rating == rating
        and stored.score == score
        and normalize_remark(stored.remark) == normalize_remark(remark)
    )


def rating_authorize(*, actor: AnyUser, assessment: Assessment) -> None:
    """Refuse (403) an actor who may see but not rate the assessment; checked before input is read."""
    permissions.require(actor, assessment, Action.RATE, _("您无权为此评审评分。"))


@transaction.atomic
def rating_set(
    *,
    actor: User,
    assessment: Assessment,
    criterion: Criterion,
    rating: str,
    score: Decimal | None = None,
    remark: str = "",
    expected_version: int | None = None,
    reason: str = "",
    suggestions: Suggestions,
) -> Rating:
    """Rate one criterion of a draft assessment; the score follows from the rating (see engine.resolve_score).

    `expected_version` is the rating's version the writer loaded (0: none yet). If someone
    saved in between, RatingConflict carries their rating and nothing is written. A save of what
    is stored already writes nothing (no version, no audit record) and returns the stored rating.
    `reason` goes to the audit record, e.g. the score sheet a rating was imported from.
    `suggestions` are the ratings that the apps above scoring suggest for this criterion
    ({"suggested": …, "profile_suggested": …}, None where they have nothing to say), given
    by the caller (workspace.services): an inspection that departs from one says why in
    its remark, and the audit record keeps them.
    """
    rating_authorize(actor=actor, assessment=assessment)
    if not permissions.may_rate_criterion(actor, assessment, criterion):
        raise PermissionDenied(_("您在本检查组只负责其他章节。"))
    assessment = _locked_for_update(assessment)
    permissions.require_editable(assessment, criterion)
    if criterion.standard_id != assessment.standard_id:
        raise ValidationError({"criterion": _("该细则不属于此评审所用的标准。")})
    if criterion.applies_to == AppliesTo.KEY_SPECIALTY and not assessment.hospital.key_specialty:
        raise ValidationError(
            {"criterion": _("细则 %(code)s 仅适用于市级临床重点专科，该科室不适用。") % {"code": criterion.code}}
        )
    if assessment.hospital.level in (criterion.not_applicable_levels or []):
        raise ValidationError(
            {"criterion": _("细则 %(code)s 经质控中心确定不适用于本级别医院。") % {"code": criterion.code}}
        )
    try:
        resolved = engine.resolve_score(rating=rating, max_points=criterion.max_points, score=score)
    except engine.RatingError as exc:
        raise ValidationError({exc.field: RATING_MESSAGES[exc.code] % exc.params}) from exc
    if len(remark) > REMARK_MAX_CHARS:
        # Every path (form, API, score sheet) ends here; a remark is printed on pages, sheets and PDFs.
        raise ValidationError(
            {"remark": _("备注不能超过 %(n)d 字（现为 %(len)d 字）。") % {"n": REMARK_MAX_CHARS, "len": len(remark)}}
        )

    existing = Rating.objects.filter(assessment=assessment, criterion=criterion).select_related("rated_by").first()
    if existing is not None:
        existing.criterion = criterion  # already loaded: the audit record names it without another query
        if _unchanged(existing, rating, resolved, remark):
            # Saving what is stored changes nothing: no new version, no history row. Whoever saved it
            # first, and over whichever version, nothing of theirs is overwritten, so this is no conflict.
            return existing
    suggested = {key: value for key, value in suggestions.items() if key in SUGGESTION_KEYS}
    overridden = [key for key, value in suggested.items() if value is not None and value != rating]
    if overridden and assessment.kind == AssessmentKind.INSPECTION and not remark.strip():
        # The inspector may override what the indicators or the profile suggest, but says why.
        raise ValidationError({"remark": _("评定与系统测算建议不同，请在备注中说明理由。")})
    if expected_version is not None and expected_version != (existing.version if existing else 0):
        raise RatingConflict(existing)
    before = _rating_snapshot(existing)
    obj = existing or Rating(assessment=assessment, criterion=criterion, version=0)
    obj.version += 1
    obj.rating = rating
    obj.score = resolved
    obj.remark = normalize_remark(remark)
    obj.rated_by = actor
    obj.save()
    after = _rating_snapshot(obj) or {}
    # Whether the rater followed the indicators and the profile, or overrode them, stays in the history.
    after.update({key: value for key, value in suggested.items() if value is not None})
    audit_record(
        actor=actor,
        action="rating.set",
        obj=obj,
        before=before,
        after=after,
        reason=reason,
        assessment=assessment,
        criterion=criterion,
    )
    return obj


@dataclass(frozen=True)
class RatingsImported:
    """What a score-sheet import stored: ratings written, and rated rows equal to what was already stored."""

    imported: int
    unchanged: int


def _sheet_identity_errors(assessment: Assessment, sheet: ParsedSheet) -> list[SheetError]:
    """A sheet of another standard or another hospital is refused whole, before any row is read."""
    if sheet.standard_code != assessment.standard.code:
        return [
            SheetError(
                STANDARD_ROW,
                "B",
                _("评价标准"),
                _("此表是标准 %(sheet)s 的评分表，本评审使用标准 %(standard)s。")
                % {"sheet": sheet.standard_code or "—", "standard": assessment.standard.code},
            )
        ]
    if sheet.hospital_id is not None and sheet.hospital_id != assessment.hospital_id:
        return [
            SheetError(
                HOSPITAL_ROW,
                "B",
                _("医院"),
                _("此表是 %(sheet)s 的评分表，不能导入 %(hospital)s 的评审。")
                % {"sheet": sheet.hospital or "—", "hospital": assessment.hospital.name},
            )
        ]
    return []


def _same_as_stored(stored: Rating, rating: str, score: Decimal | None, remark: str, max_points: Decimal) -> bool:
    try:
        return _unchanged(
            stored, rating, engine.resolve_score(rating=rating, max_points=max_points, score=score), remark
        )
    except engine.RatingError:
        return False


def ratings_import(
    *,
    actor: User,
    assessment: Assessment,
    sheet: ParsedSheet,
    file_name: str = "",
    suggestions: Mapping[str, Suggestions],
) -> RatingsImported:
    """Store every rated row of an uploaded score sheet through rating_set, or nothing at all.

    Each row goes through rating_set (in its savepoint), so it is checked, versioned and
    audited exactly like a rating saved in the form (`suggestions`: by criterion code, as
    rating_set takes them). Rows equal to the stored rating are
    left alone. A sheet exported from this same assessment carries each rating's version:
    a criterion changed since the export is a conflict. If any row fails, everything is
    rolled back and ScoreSheetInvalid lists every failure by row and column.
    """
    rating_authorize(actor=actor, assessment=assessment)
    reason = _("导入评分表 %(name)s") % {"name": file_name} if file_name else _("导入评分表")
    with transaction.atomic():
        assessment = _locked_for_update(assessment)
        permissions.require_status(assessment, Action.RATE, _("评审已提交或已定稿，不能再导入评分。"))
        identity = _sheet_identity_errors(assessment, sheet)
        if identity:
            raise ScoreSheetInvalid(identity)
        errors = list(sheet.errors)
        criteria = {
            c.code: c
            for c in Criterion.objects.filter(standard_id=assessment.standard_id).select_related("item__chapter")
        }
        stored = {r.criterion_id: r for r in Rating.objects.filter(assessment=assessment)}
        same_assessment = sheet.assessment_id == assessment.pk
        imported = unchanged = 0

        def fail(row: int, key: str, reason: str) -> None:
            letter, heading = sheet.column(key)
            errors.append(SheetError(row, letter, heading, reason))

        for row in sheet.rows:
            criterion = criteria.get(row.code)
            if criterion is None:
                fail(
                    row.row,
                    "code",
                    _("标准 %(standard)s 中没有编号为 %(code)s 的细则。")
                    % {"standard": assessment.standard.code, "code": row.code},
                )
                continue
            current = stored.get(criterion.pk)
            if current is not None and _same_as_stored(
                current, row.rating, row.score, row.remark, criterion.max_points
            ):
                unchanged += 1
                continue
            try:
                rating_set(
                    actor=actor,
                    assessment=assessment,
                    criterion=criterion,
                    rating=row.rating,
                    score=row.score,
                    remark=row.remark,
                    expected_version=sheet.versions.get(row.code, 0) if same_assessment else None,
                    reason=reason,
                    suggestions=suggestions.get(row.code, NO_SUGGESTIONS),
                )
            except ValidationError as exc:
                by_field = exc.message_dict if hasattr(exc, "error_dict") else {"criterion": exc.messages}
                for field, messages in by_field.items():
                    key = field if field in ("rating", "score") else "code"
                    for message in messages:
                        fail(row.row, key, message)
            except (PermissionDenied, AssessmentLocked) as exc:
                fail(row.row, "code", getattr(exc, "message", None) or str(exc))
            except RatingConflict as exc:
                theirs = exc.current
                fail(
                    row.row,
                    "code",
                    _("导出评分表后，%(who)s 已修改此细则（现为“%(rating)s”%(score)s 分）；请重新导出后再导入。")
                    % {
                        "who": (display_name(theirs.rated_by) if theirs is not None else "") or _("其他人"),
                        "rating": theirs.get_rating_display() if theirs is not None else "—",
                        "score": fmt(theirs.score) if theirs is not None else "—",
                    },
                )
            else:
                imported += 1
        if errors:
            raise ScoreSheetInvalid(errors)
    return RatingsImported(imported=imported, unchanged=unchanged)


@transaction.atomic
def assessment_submit(*, actor: User, assessment: Assessment) -> Assessment:
    """Submit a draft, or resubmit after a return (answering every open return).

    The department head submits self-assessments; inspectors or qc_admin submit inspections.
    """
    permissions.require(actor, assessment, Action.SUBMIT, _("您无权提交此评审。"))
    assessment = _locked_for_update(assessment)
    permissions.require_status(assessment, Action.SUBMIT, _("只有草稿或被退回的评审可以提交。"))
    before = assessment.status
    now = timezone.now()
    if before == AssessmentStatus.RETURNED:
        for ret in CriterionReturn.objects.filter(assessment=assessment, status=ReturnStatus.OPEN).select_related(
            "criterion"
        ):
            ret.status, ret.answered_by, ret.answered_at = ReturnStatus.ANSWERED, actor, now
            ret.save(update_fields=["status", "answered_by", "answered_at"])
            audit_record(
                actor=actor,
                action="return.answer",
                obj=ret,
                before={"status": "open"},
                after={"status": "answered"},
                assessment=assessment,
                criterion=ret.criterion,
            )
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_by = actor
    assessment.submitted_at = now
    assessment.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(
        actor=actor,
        action="assessment.submit",
        obj=assessment,
        before={"status": before},
        after={"status": "submitted"},
        assessment=assessment,
    )
    return assessment


@transaction.atomic
def criterion_return(*, actor: User, assessment: Assessment, criterion: Criterion, reason: str) -> CriterionReturn:
    """Send one criterion of a submitted self-assessment back to the department, with the reason."""
    permissions.require(actor, assessment, Action.REVIEW, _("只有质控专家或质控中心管理员可以退回细则。"))
    if assessment.kind != AssessmentKind.SELF:
        raise ValidationError({"criterion": _("只能退回科室自评中的细则。")})
    assessment = _locked_for_update(assessment)
    permissions.require_status(assessment, Action.REVIEW, _("只有已提交的自评可以退回细则。"))
    if criterion.standard_id != assessment.standard_id:
        raise ValidationError({"criterion": _("该细则不属于此评审所用的标准。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请填写退回原因。")})
    if CriterionReturn.objects.filter(assessment=assessment, criterion=criterion, status=ReturnStatus.OPEN).exists():
        raise ValidationError({"criterion": _("细则 %(code)s 已退回，正等待科室答复。") % {"code": criterion.code}})
    ret = CriterionReturn.objects.create(
        assessment=assessment, criterion=criterion, reason=reason.strip(), returned_by=actor
    )
    before = assessment.status
    if before != AssessmentStatus.RETURNED:
        assessment.status = AssessmentStatus.RETURNED
        assessment.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="return.create",
        obj=ret,
        before={"status": before},
        after={"criterion": criterion.code, "reason": ret.reason, "status": "returned"},
        assessment=assessment,
        criterion=criterion,
    )
    return ret


@transaction.atomic
def assessment_finalize(*, actor: User, assessment: Assessment) -> Assessment:
    """Finalize a submitted assessment (inspectors or qc_admin); it is immutable afterwards.

    Pages and the API finalize through workspace.services.assessment_finalize, which also
    opens the rectification plan of an inspection in the same transaction.
    """
    permissions.require(actor, assessment, Action.FINALIZE, _("只有质控专家或质控中心管理员可以定稿。"))
    assessment = _locked_for_update(assessment)
    permissions.require_status(
        assessment, Action.FINALIZE, _("只有已提交的评审可以定稿（被退回的细则须先由科室重新提交）。")
    )
    result = assessment_result(assessment)
    if result.unrated:
        raise ValidationError(
            {
                "ratings": _("还有 %(n)s 项细则未评，不能定稿：%(codes)s")
                % {
                    "n": len(result.unrated),
                    "codes": "、".join(result.unrated[:10]) + ("…" if len(result.unrated) > 10 else ""),
                }
            }
        )
    assessment.status = AssessmentStatus.FINALIZED
    assessment.finalized_by = actor
    assessment.finalized_at = timezone.now()
    assessment.final_result = engine.result_as_dict(result)
    assessment.save(update_fields=["status", "finalized_by", "finalized_at", "final_result"])
    audit_record(
        actor=actor,
        action="assessment.finalize",
        obj=assessment,
        before={"status": "submitted"},
        after={"status": "finalized"},
        assessment=assessment,
    )
    return assessment


def assessment_reopen_authorize(*, actor: AnyUser, assessment: Assessment) -> None:
    """Refuse (403) anyone but the QC centre's administrators; checked before input is read."""
    permissions.require(actor, assessment, Action.REOPEN, _("只有质控中心管理员可以重新打开已提交的现场检查。"))


@transaction.atomic
def assessment_reopen(*, actor: User, assessment: Assessment, reason: str) -> Assessment:
    """Send a submitted inspection back to draft (qc_admin only, with the reason), e.g. one submitted too early.

    Inspections cannot be returned criterion by criterion, and finalizing refuses unrated criteria,
    so without this an inspection submitted by mistake would be stuck for good.
    """
    assessment_reopen_authorize(actor=actor, assessment=assessment)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请填写重新打开的原因。")})
    assessment = _locked_for_update(assessment)
    permissions.require_status(assessment, Action.REOPEN, _("只有已提交、尚未定稿的现场检查可以重新打开。"))
    assessment.status = AssessmentStatus.DRAFT
    assessment.submitted_by = None
    assessment.submitted_at = None
    assessment.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit_record(
        actor=actor,
        action="assessment.reopen",
        obj=assessment,
        before={"status": "submitted"},
        after={"status": "draft"},
        reason=reason,
        assessment=assessment,
    )
    return assessment


@transaction.atomic
def criterion_set_not_applicable(*, actor: User, criterion: Criterion, levels: list[str], reason: str) -> Criterion:
    """Set the hospital levels a criterion does not apply to; qc_admin only, with a reason, always audited.

    At those levels it leaves the applicable count and the maximum; the thresholds stay as the standard sets
    them (so, with 2.2-1's 35 points off at level 2, a 二级甲等 hospital needs 700 of 965, not of 1000).
    """
    require_qc_admin(actor)
    unknown = [lvl for lvl in levels if lvl not in Level.values]
    if unknown or len(set(levels)) != len(levels):
        raise ValidationError(
            {"not_applicable_levels": _("应为医院等级 %(levels)s 中的不重复值。") % {"levels": "、".join(Level.values)}}
        )
    criterion = Criterion.objects.select_for_update().get(pk=criterion.pk)
    ordered = [lvl for lvl in Level.values if lvl in levels]
    if list(criterion.not_applicable_levels or []) == ordered:
        return criterion
    if not reason.strip():
        raise ValidationError({"reason": _("更改细则的适用级别须说明理由。")})
    before = {"not_applicable_levels": list(criterion.not_applicable_levels or [])}
    criterion.not_applicable_levels = ordered
    criterion.save(update_fields=["not_applicable_levels"])
    audit_record(
        actor=actor,
        action="criterion.not_applicable",
        obj=criterion,
        before=before,
        after={"not_applicable_levels": ordered},
        reason=reason,
    )
    return criterion


@transaction.atomic
def criterion_set_veto(*, actor: User, criterion: Criterion, veto: bool, reason: str = "") -> Criterion:
    """Change a criterion's ★ (single-item veto) flag; qc_admin only, always audited."""
    require_qc_admin(actor)
    criterion = Criterion.objects.select_for_update().get(pk=criterion.pk)
    if criterion.veto == veto:
        return criterion
    before = {"veto": criterion.veto}
    criterion.veto = veto
    criterion.save(update_fields=["veto"])
    audit_record(
        actor=actor, action="criterion.veto", obj=criterion, before=before, after={"veto": veto}, reason=reason
    )
    return criterion
