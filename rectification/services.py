"""Writes of rectification plans: draw up a plan, assign, answer (with files), verify.

Each service checks the actor's right to act, validates, runs in one
transaction, records an audit event filed under the item's assessment and
criterion, and returns the object. Files are written to storage only after
every file of an answer has passed its checks, and are removed again if the
transaction does not commit, so no file outlives its row.
"""

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_department_member
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from audit.services import audit_record, uploads_checked
from common import uploads
from common.files import files_removed_on_failure, sha256_of
from scoring import permissions as scoring_permissions
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Rating
from scoring.permissions import Action

from . import permissions, selectors
from .errors import ItemStateError
from .models import SHORTFALL_RATINGS, ItemStatus, RectificationEvidence, RectificationItem, default_due_date

ANSWER_MAX_CHARS = 5000
NOTE_MAX_CHARS = 2000


def _visible(actor: AnyUser, assessment: Assessment) -> bool:
    # Views answer 404 before reaching here; this keeps other callers (the finalize hook, tasks) honest too.
    return scope_by_hospital(Assessment.objects.filter(pk=assessment.pk), actor).exists()


def _locked(item: RectificationItem) -> RectificationItem:
    """Re-read the item under a row lock so status checks and writes cannot interleave."""
    return (
        RectificationItem.objects.select_for_update(of=("self",))
        .select_related("assessment", "criterion", "owner")
        .get(pk=item.pk)
    )


def _snapshot(item: RectificationItem) -> dict[str, Any]:
    return {
        "status": item.status,
        "owner": item.owner.username if item.owner else None,
        "due_date": item.due_date.isoformat(),
        "answer": item.answer,
        "verification_note": item.verification_note,
    }


def _audit(actor: User, action: str, item: RectificationItem, *, obj: Any = None, **kwargs: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj if obj is not None else item,
        assessment=item.assessment,
        criterion=item.criterion,
        **kwargs,
    )


def _require_not_closed(item: RectificationItem, message: str) -> None:
    if item.status == ItemStatus.VERIFIED:
        raise ItemStateError(message, status=item.status)


# Plan -----------------------------------------------------------------------------------------------


def rectification_plan_authorize(*, actor: AnyUser, assessment: Assessment) -> None:
    """Refuse (403) anyone but the QC side who can see the inspection."""
    if not (
        isinstance(actor, User)
        and scoring_permissions.may(actor, assessment, Action.REVIEW)
        and _visible(actor, assessment)
    ):
        raise PermissionDenied(_("只有质控专家或质控中心管理员可以生成整改计划。"))


@transaction.atomic
def rectification_plan_create(*, actor: User, assessment: Assessment) -> list[RectificationItem]:
    """One item per 基本达标 or 未达标 criterion of a finalized inspection; idempotent, returns the whole plan.

    Called by `workspace.services.assessment_finalize` in the transaction that finalizes; calling it again
    creates only the items still missing.
    """
    rectification_plan_authorize(actor=actor, assessment=assessment)
    if assessment.kind != AssessmentKind.INSPECTION:
        raise ValidationError({"assessment": _("只有现场检查才生成整改计划，自评不生成。")})
    # A row lock (not a write: the finalized guard allows it) serializes two concurrent calls.
    locked = Assessment.objects.select_for_update(of=("self",)).select_related("hospital").get(pk=assessment.pk)
    if locked.status != AssessmentStatus.FINALIZED:
        raise ValidationError({"assessment": _("现场检查定稿后才能生成整改计划。")})
    existing = set(RectificationItem.objects.filter(assessment=locked).values_list("criterion_id", flat=True))
    shortfalls = (
        Rating.objects.filter(assessment=locked, rating__in=SHORTFALL_RATINGS)
        .exclude(criterion_id__in=existing)
        .select_related("criterion")
        .order_by("criterion__position")
    )
    owner = selectors.default_owner(locked.hospital_id)
    due = default_due_date()
    for rating in shortfalls:
        item = RectificationItem.objects.create(
            assessment=locked,
            criterion=rating.criterion,
            rating=rating.rating,
            score=rating.score,
            owner=owner,
            due_date=due,
        )
        _audit(actor, "rectification.create", item, after=_snapshot(item) | {"rating": rating.rating})
    return selectors.plan_for(locked)


# Assign ---------------------------------------------------------------------------------------------


def rectification_manage_authorize(*, actor: AnyUser, item: RectificationItem) -> None:
    """Refuse (403) an actor who may see the item but not assign or verify it."""
    if not permissions.may_manage(actor, item) or not _visible(actor, item.assessment):
        raise PermissionDenied(_("只有质控专家或质控中心管理员可以指派或核验整改项。"))


@transaction.atomic
def rectification_assign(
    *, actor: User, item: RectificationItem, owner: User | None, due_date: datetime.date | None
) -> RectificationItem:
    """Set an open item's owner (a department person of the hospital, or nobody) and due date."""
    rectification_manage_authorize(actor=actor, item=item)
    current = _locked(item)
    _require_not_closed(current, _("整改项已销号，不能再指派。"))
    errors: dict[str, list[str]] = {}
    if owner is not None and not (owner.is_active and is_department_member(owner, current.assessment.hospital_id)):
        errors["owner"] = [_("责任人须为该医院麻醉科的人员。")]
    if due_date is None:
        errors["due_date"] = [_("请填写整改期限，格式如 2026-05-31。")]
    elif due_date < timezone.localtime(current.created_at).date():
        errors["due_date"] = [
            _("整改期限不能早于整改计划生成的日期 %(date)s。")
            % {"date": timezone.localtime(current.created_at).date().isoformat()}
        ]
    if errors:
        raise ValidationError(errors)
    assert due_date is not None  # no errors means a date was given
    before = _snapshot(current)
    current.owner = owner
    current.due_date = due_date
    current.save(update_fields=["owner", "due_date"])
    _audit(actor, "rectification.assign", current, before=before, after=_snapshot(current))
    return current


# Answer ---------------------------------------------------------------------------------------------


def rectification_answer_authorize(*, actor: AnyUser, item: RectificationItem) -> None:
    """Refuse (403) an actor who may see the item but not answer it (only its department answers)."""
    if not permissions.may_answer(actor, item) or not _visible(actor, item.assessment):
        raise PermissionDenied(_("只有该医院麻醉科的人员可以答复整改项。"))


def rectification_answer(
    *, actor: User, item: RectificationItem, answer: str, files: Sequence[Any] = ()
) -> RectificationItem:
    """Say what was done (required) and attach follow-up files (optional): all of it is stored, or nothing.

    Open, or answered and not yet verified, → answered. Call it outside an enclosing
    transaction (as views do): files written are removed if this service's own transaction
    fails, which an outer rollback would not report.
    """
    rectification_answer_authorize(actor=actor, item=item)
    _require_not_closed(item, _("整改项已销号，不能再答复。"))
    answer = answer.strip()
    errors: dict[str, list[str]] = {}
    if not answer:
        errors["answer"] = [_("请填写整改情况。")]
    elif len(answer) > ANSWER_MAX_CHARS:
        errors["answer"] = [_("整改情况不能超过 %(n)d 字。") % {"n": ANSWER_MAX_CHARS}]
    checked: list[uploads.CheckedFile] = []
    if files:
        try:
            # Reads the files; nothing written yet. A refusal is recorded in the audit trail.
            checked = uploads_checked(actor=actor, files=files, assessment=item.assessment, criterion=item.criterion)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    digests = [sha256_of(c.upload) for c in checked]

    with files_removed_on_failure() as written, transaction.atomic():
        current = _locked(item)
        _require_not_closed(current, _("整改项已销号，不能再答复。"))  # it may have been closed meanwhile
        for c, digest in zip(checked, digests, strict=True):
            evidence = RectificationEvidence(item=current)
            written.append(evidence.store(c, sha256=digest, uploaded_by=actor))
            evidence.save()
            _audit(
                actor,
                "rectification.evidence_upload",
                current,
                obj=evidence,
                after={"name": c.name, "content_type": c.content_type, "size": c.size, "sha256": digest},
            )
        before = _snapshot(current)
        current.status = ItemStatus.ANSWERED
        current.answer = answer
        current.answered_by = actor
        current.answered_at = timezone.now()
        current.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        _audit(
            actor,
            "rectification.answer",
            current,
            before=before,
            after=_snapshot(current) | {"files": [c.name for c in checked]},
        )
    return current


# Verify ---------------------------------------------------------------------------------------------


@transaction.atomic
def rectification_verify(*, actor: User, item: RectificationItem, accept: bool, note: str = "") -> RectificationItem:
    """Accept an answered item (verified: closed) or send it back to open; sending back must say why."""
    rectification_manage_authorize(actor=actor, item=item)
    current = _locked(item)
    if current.status != ItemStatus.ANSWERED:
        message = _("整改项已销号。") if current.status == ItemStatus.VERIFIED else _("科室尚未答复，暂不能核验。")
        raise ItemStateError(message, status=current.status)
    note = note.strip()
    if not accept and not note:
        raise ValidationError({"note": [_("退回整改时必须填写核验意见。")]})
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"note": [_("核验意见不能超过 %(n)d 字。") % {"n": NOTE_MAX_CHARS}]})
    before = _snapshot(current)
    current.status = ItemStatus.VERIFIED if accept else ItemStatus.OPEN
    current.verification_note = note
    current.verified_by = actor
    current.verified_at = timezone.now()
    current.save(update_fields=["status", "verification_note", "verified_by", "verified_at"])
    _audit(actor, "rectification.verify", current, before=before, after=_snapshot(current), reason=note)
    return current
