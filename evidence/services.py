"""Writes of evidence: upload, delete, review.

Each service checks the actor's right to act, validates, runs in one
transaction, records an audit event and returns the object. Files are written
to storage only after every file of an upload has passed its checks, and are
removed again if the transaction does not commit, so no file outlives its row.
"""

import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import scope_by_hospital
from accounts.typing import AnyUser
from audit.services import audit_record, uploads_checked
from common.files import files_removed_on_failure, sha256_of
from scoring import services as scoring_services
from scoring.errors import AssessmentLocked
from scoring.models import AppliesTo, Assessment, AssessmentKind, Criterion, CriterionReturn, ReturnStatus
from scoring.permissions import Action, require_editable, require_status

from . import permissions
from .models import Evidence, ReviewStatus


def _visible(actor: AnyUser, assessment: Assessment) -> bool:
    # Views answer 404 before reaching here; this keeps other callers (tasks, admin) honest too.
    return scope_by_hospital(Assessment.objects.filter(pk=assessment.pk), actor).exists()


def _locked_for_update(assessment: Assessment) -> Assessment:
    """Re-read the assessment under a row lock so status checks and writes cannot interleave with submission."""
    return (
        Assessment.objects.select_for_update(of=("self",)).select_related("hospital", "standard").get(pk=assessment.pk)
    )


def _require_editable(assessment: Assessment, criterion: Criterion) -> None:
    # Evidence follows the criterion's own rule: a draft, or a criterion returned to the department.
    try:
        require_editable(assessment, criterion)
    except AssessmentLocked as exc:
        raise AssessmentLocked(
            _("评审已提交或已定稿（或该细则未被退回），不能再上传或删除佐证材料。"), status=exc.status
        ) from exc


def _require_applicable(assessment: Assessment, criterion: Criterion) -> None:
    if criterion.standard_id != assessment.standard_id:
        raise ValidationError({"criterion": _("该细则不属于此评审所用的标准。")})
    if criterion.applies_to == AppliesTo.KEY_SPECIALTY and not assessment.hospital.key_specialty:
        raise ValidationError(
            {"criterion": _("细则 %(code)s 仅适用于市级临床重点专科，该科室不适用。") % {"code": criterion.code}}
        )


def _snapshot(evidence: Evidence) -> dict[str, Any]:
    return {
        "assessment": evidence.assessment_id,
        "criterion": evidence.criterion.code,
        "name": evidence.original_name,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "file": evidence.file.name,
    }


def evidence_attach_authorize(*, actor: AnyUser, assessment: Assessment, criterion: Criterion | None = None) -> None:
    """Refuse (403) an actor who may see but not upload to or delete from the assessment (or that criterion)."""
    if not permissions.may_attach(actor, assessment, criterion) or not _visible(actor, assessment):
        raise PermissionDenied(_("您无权为此评审上传或删除佐证材料。"))


def evidence_review_authorize(*, actor: AnyUser, assessment: Assessment) -> None:
    """Refuse (403) an actor who may see but not review the assessment's evidence."""
    if not permissions.may_review(actor, assessment) or not _visible(actor, assessment):
        raise PermissionDenied(_("只有质控专家或质控中心管理员可以审核佐证材料。"))


def _file_keys(client_key: uuid.UUID, count: int) -> list[uuid.UUID]:
    # One upload may carry several files; each gets a key of its own, derived from the upload's.
    return [uuid.uuid5(client_key, str(n)) for n in range(count)]


def _already_stored(assessment: Assessment, criterion: Criterion, keys: list[uuid.UUID]) -> list[Evidence]:
    return list(Evidence.objects.filter(assessment=assessment, criterion=criterion, client_key__in=keys).order_by("id"))


def evidence_upload(
    *,
    actor: User,
    assessment: Assessment,
    criterion: Criterion,
    files: Sequence[Any],
    client_key: uuid.UUID | None = None,
) -> list[Evidence]:
    """Attach files to one criterion of a draft assessment: all of them, or none if any is refused.

    `client_key` names an upload made in the browser (sent again after a network failure): an upload
    already stored under that key is answered with its files, not stored twice.
    Call it outside an enclosing transaction (as views do): the files written are
    removed if this service's own transaction fails, which an outer rollback would not report.
    """
    evidence_attach_authorize(actor=actor, assessment=assessment, criterion=criterion)
    keys = _file_keys(client_key, len(files)) if client_key else []
    if keys and (stored := _already_stored(assessment, criterion, keys)):
        return stored
    _require_editable(assessment, criterion)
    _require_applicable(assessment, criterion)
    # Reads the files; nothing written yet. A refusal is recorded in the audit trail.
    checked = uploads_checked(actor=actor, files=files, assessment=assessment, criterion=criterion)
    digests = [sha256_of(item.upload) for item in checked]

    with files_removed_on_failure() as written, transaction.atomic():
        locked = _locked_for_update(assessment)
        if keys and (stored := _already_stored(locked, criterion, keys)):
            return stored  # the same upload, sent twice at once, was stored by the other request
        _require_editable(locked, criterion)  # it may have been submitted while the files were read
        created: list[Evidence] = []
        for n, (item, digest) in enumerate(zip(checked, digests, strict=True)):
            evidence = Evidence(assessment=locked, criterion=criterion, client_key=keys[n] if keys else None)
            written.append(evidence.store(item, sha256=digest, uploaded_by=actor))
            evidence.save()
            audit_record(
                actor=actor,
                action="evidence.upload",
                obj=evidence,
                after=_snapshot(evidence),
                assessment=locked,
                criterion=criterion,
            )
            created.append(evidence)
    return created


def evidence_delete(*, actor: User, evidence: Evidence) -> None:
    """Remove one file from a draft assessment (its department); the file leaves storage once the delete commits."""
    evidence_attach_authorize(actor=actor, assessment=evidence.assessment, criterion=evidence.criterion)
    with transaction.atomic():
        locked = _locked_for_update(evidence.assessment)
        _require_editable(locked, evidence.criterion)
        current = Evidence.objects.select_for_update().select_related("criterion").filter(pk=evidence.pk).first()
        if current is None:  # someone else removed it first: the outcome wanted already holds
            return
        name = str(current.file.name)
        audit_record(
            actor=actor,
            action="evidence.delete",
            obj=current,
            before=_snapshot(current),
            assessment=locked,
            criterion=current.criterion,
        )
        current.delete()
        transaction.on_commit(partial(current.file.storage.delete, name))


def evidence_review(*, actor: User, evidence: Evidence, decision: str, reason: str = "") -> Evidence:
    """Accept or reject one file of a submitted self-assessment (inspectors, qc_admin); a rejection must say why.

    The inspectors' own files on an inspection are refused (400): nobody reviews them.

    A rejected file of a self-assessment means the department must supply another, which it can do only
    on a returned criterion: the rejection also returns the criterion (scoring's `criterion_return`, in the
    same transaction and audited, with the rejection's reason), unless it is returned already.
    """
    evidence_review_authorize(actor=actor, assessment=evidence.assessment)
    if evidence.assessment.kind == AssessmentKind.INSPECTION:
        raise ValidationError({"decision": inspection_evidence_not_reviewed(evidence)})
    with transaction.atomic():
        locked = _locked_for_update(evidence.assessment)
        require_status(locked, Action.REVIEW, _("只有已提交、尚未定稿的评审可以审核佐证材料。"))
        if decision not in (ReviewStatus.ACCEPTED, ReviewStatus.REJECTED):
            raise ValidationError(
                {
                    "decision": _("“%(decision)s”不是有效的审核结论，应为 accepted 或 rejected。")
                    % {"decision": decision}
                }
            )
        reason = reason.strip()
        current = Evidence.objects.select_for_update(of=("self",)).select_related("criterion").get(pk=evidence.pk)
        if decision == ReviewStatus.REJECTED and not reason:
            raise ValidationError({"reason": _("退回“%(name)s”时必须填写原因。") % {"name": current.original_name}})
        before = {"review_status": current.review_status, "review_reason": current.review_reason}
        current.review_status = decision
        current.review_reason = reason
        current.reviewed_by = actor
        current.reviewed_at = timezone.now()
        current.save(update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at"])
        audit_record(
            actor=actor,
            action="evidence.review",
            obj=current,
            before=before,
            after={"review_status": decision, "review_reason": reason},
            reason=reason,
            assessment=locked,
            criterion=current.criterion,
        )
        if decision == ReviewStatus.REJECTED and locked.kind == AssessmentKind.SELF:
            _return_for_another_file(actor, locked, current)
    return current


def inspection_evidence_not_reviewed(evidence: Evidence) -> str:
    """Why an inspection's file cannot be accepted or rejected: it is the inspectors' own record, not the department's."""
    return _("“%(name)s”是检查组在现场检查中上传的佐证，不需审核：只审核科室提交的佐证材料。") % {
        "name": evidence.original_name
    }


def _return_for_another_file(actor: User, assessment: Assessment, evidence: Evidence) -> None:
    """Open the rejected file's criterion for the department, unless a return of it is open already."""
    if CriterionReturn.objects.filter(
        assessment=assessment, criterion=evidence.criterion, status=ReturnStatus.OPEN
    ).exists():
        return
    scoring_services.criterion_return(
        actor=actor,
        assessment=assessment,
        criterion=evidence.criterion,
        reason=_("佐证材料“%(name)s”被退回，请补充：%(reason)s")
        % {"name": evidence.original_name, "reason": evidence.review_reason},
    )
