"""Browser endpoints for evidence: upload to a criterion, download through a permission check, delete, review.

Views are thin: visibility comes from the scoping selectors (foreign → 404),
rights from `permissions` (→ 403), writes from `services`. For htmx they answer
the criterion's evidence block (errors shown in it, status 200 because htmx 2
does not swap 4xx answers); without JavaScript they redirect back to the
criterion on success, or show the block on a page of its own with 400/409.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.typing import signed_in
from common.files import serve_stored_file
from common.http import HtmxHttpRequest
from scoring.errors import AssessmentLocked
from scoring.models import Assessment, AssessmentKind, Criterion
from scoring.selectors import assessments_visible_to

from . import permissions, selectors, services
from .models import Evidence, ReviewStatus


def _block_context(request: HtmxHttpRequest, assessment: Assessment, criterion: Criterion) -> dict[str, Any]:
    """What the evidence block template needs, for one criterion (an inspection's: the inspectors' own block)."""
    items = selectors.evidence_by_criterion(assessment, [criterion.pk])[criterion.pk]
    if assessment.kind == AssessmentKind.INSPECTION:
        return {
            "assessment": assessment,
            "entry": {"criterion": criterion},
            "criterion": criterion,
            "inspection_evidence": items,
            "can_attach": permissions.can_upload(request.user, assessment)
            and permissions.may_attach(request.user, assessment, criterion),
        }
    return {
        "assessment": assessment,
        "entry": {"criterion": criterion, "evidence": items},
        "can_upload": permissions.can_upload(request.user, assessment),
        "can_review": permissions.can_review(request.user, assessment),
    }


def _block_template(assessment: Assessment) -> str:
    if assessment.kind == AssessmentKind.INSPECTION:
        return "evidence/partials/inspection_evidence_block.html"
    return "evidence/partials/evidence_block.html"


def _criterion_url(assessment: Assessment, criterion: Criterion) -> str:
    chapter = criterion.item.chapter.number
    return reverse("assessment-chapter", args=[assessment.pk, chapter]) + f"#c-{criterion.code}"


def _answer(
    request: HtmxHttpRequest,
    assessment: Assessment,
    criterion: Criterion,
    *,
    notice: str = "",
    errors: list[str] | None = None,
    status: int = 400,
) -> HttpResponse:
    """The block for htmx (always 200); a redirect back (success) or a page with the block (failure) otherwise."""
    if not request.htmx and not errors:
        messages.success(request, notice)
        return redirect(_criterion_url(assessment, criterion))
    context = _block_context(request, assessment, criterion)
    context.update({"evidence_errors": errors or [], "evidence_notice": notice})
    if request.htmx:
        return TemplateResponse(request, _block_template(assessment), context)
    context["back_url"] = _criterion_url(assessment, criterion)
    context["block_template"] = _block_template(assessment)
    return TemplateResponse(request, "evidence/evidence_page.html", context, status=status)


def _messages(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _client_key(value: str) -> uuid.UUID | None:
    """The browser's name for an upload (offline.js), so that one sent again is stored once; optional."""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationError({"client_key": _("上传标识（client_key）格式无效。")}) from None


@login_required
@require_POST
def evidence_upload(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """Upload one or more files (field `files`) to a criterion; all are stored or none."""
    return _upload(request, get_object_or_404(assessments_visible_to(request.user), pk=pk), code)


@login_required
@require_POST
def inspection_evidence_upload(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """The inspectors' own evidence on a criterion of an inspection: a photo taken on site or a file (`files`).

    Checked, stored and audited as the department's evidence is; only an inspection has it (else 404).
    """
    visible = assessments_visible_to(request.user).filter(kind=AssessmentKind.INSPECTION)
    return _upload(request, get_object_or_404(visible, pk=pk), code)


def _upload(request: HtmxHttpRequest, assessment: Assessment, code: str) -> HttpResponse:
    criterion = get_object_or_404(
        Criterion.objects.select_related("item__chapter"), standard_id=assessment.standard_id, code=code
    )
    services.evidence_attach_authorize(actor=request.user, assessment=assessment, criterion=criterion)
    files = request.FILES.getlist("files")
    # An upload replayed after a spell offline also carries `client_key`, the browser's UUID for it:
    # a replay of an upload already stored is answered with the stored files, not stored twice.
    try:
        client_key = _client_key(request.POST.get("client_key", ""))
        created = services.evidence_upload(
            actor=signed_in(request.user),
            assessment=assessment,
            criterion=criterion,
            files=files,
            client_key=client_key,
        )
    except ValidationError as exc:
        return _answer(request, assessment, criterion, errors=_messages(exc), status=400)
    except AssessmentLocked as exc:
        return _answer(request, assessment, criterion, errors=[exc.message], status=409)
    notice = ngettext("已上传 %(n)d 个文件。", "已上传 %(n)d 个文件。", len(created)) % {"n": len(created)}
    return _answer(request, assessment, criterion, notice=notice)


def _visible_evidence(request: HtmxHttpRequest, evidence_id: int) -> Evidence:
    return get_object_or_404(selectors.evidence_visible_to(request.user), pk=evidence_id)


@login_required
@require_safe
@xframe_options_sameorigin  # the block previews PDFs in place with <object>
def evidence_download(request: HtmxHttpRequest, evidence_id: int) -> HttpResponseBase:
    """Serve one file to those who may see its assessment, as a download (`?preview=1`: PDFs and images inline)."""
    return serve_stored_file(request, _visible_evidence(request, evidence_id))


@login_required
@require_POST
def evidence_delete(request: HtmxHttpRequest, evidence_id: int) -> HttpResponse:
    """Remove one file from a draft assessment."""
    evidence = _visible_evidence(request, evidence_id)
    assessment, criterion = evidence.assessment, evidence.criterion
    services.evidence_attach_authorize(actor=request.user, assessment=assessment, criterion=criterion)
    try:
        services.evidence_delete(actor=signed_in(request.user), evidence=evidence)
    except AssessmentLocked as exc:
        return _answer(request, assessment, criterion, errors=[exc.message], status=409)
    return _answer(request, assessment, criterion, notice=_("已删除“%(name)s”。") % {"name": evidence.original_name})


@login_required
@require_POST
def evidence_review(request: HtmxHttpRequest, evidence_id: int) -> HttpResponse:
    """Accept or reject one file (`decision`, and `reason`, required to reject)."""
    evidence = _visible_evidence(request, evidence_id)
    assessment, criterion = evidence.assessment, evidence.criterion
    services.evidence_review_authorize(actor=request.user, assessment=assessment)
    try:
        reviewed = services.evidence_review(
            actor=signed_in(request.user),
            evidence=evidence,
            decision=request.POST.get("decision", ""),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return _answer(request, assessment, criterion, errors=_messages(exc), status=400)
    except AssessmentLocked as exc:
        return _answer(request, assessment, criterion, errors=[exc.message], status=409)
    notice = _("已将“%(name)s”标记为%(status)s。") % {
        "name": reviewed.original_name,
        "status": reviewed.get_review_status_display(),
    }
    if reviewed.review_status == ReviewStatus.REJECTED and assessment.kind == AssessmentKind.SELF:
        notice += _("细则 %(code)s 已退回科室补充材料。") % {"code": criterion.code}
    return _answer(request, assessment, criterion, notice=notice)
