"""Browser pages of rectification: the list, an item with its forms, answer, verify, assign, file download.

Views are thin: visibility comes from `selectors.rectification_items_visible_to` (foreign → 404),
rights from the services' authorize functions (→ 403), writes from `services`. For htmx the
POST endpoints answer the item's panel (errors shown in it, status 200 because htmx 2 does not
swap 4xx answers); without JavaScript they redirect back to the item on success, or show the
page again with the errors and 400/409.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.selectors import hospitals_visible_to
from accounts.typing import signed_in
from common.files import serve_stored_file
from common.filters import filter_status
from common.forms import field_errors
from common.http import HtmxHttpRequest

from . import permissions, selectors, services
from .errors import ItemStateError
from .filters import RectificationItemFilter
from .forms import AssignForm
from .models import ItemStatus, RectificationItem

Errors = dict[str, list[str]]


def _visible_item(request: HtmxHttpRequest, pk: int) -> RectificationItem:
    return get_object_or_404(selectors.rectification_items_visible_to(request.user), pk=pk)


@login_required
@require_safe
def rectification_list(request: HtmxHttpRequest) -> HttpResponse:
    """The items the user may see, overdue ones flagged; filterable; a fragment for htmx."""
    visible = selectors.rectification_items_visible_to(request.user)
    filterset = RectificationItemFilter(request.GET, queryset=visible)
    items = list(filterset.qs.order_by("due_date", "assessment__hospital__name", "criterion__position"))
    context: dict[str, Any] = {
        "filter": filterset,
        "items": items,
        # Tells "nothing yet" (plans appear after an inspection is finalized) from "nothing matches".
        "has_any": bool(items) or visible.exists(),
        "statuses": ItemStatus.choices,
    }
    status = filter_status(filterset)
    if request.htmx:
        return TemplateResponse(request, "rectification/partials/item_rows.html", context, status=status)
    context["hospitals"] = list(hospitals_visible_to(request.user))
    return TemplateResponse(request, "rectification/item_list.html", context, status=status)


def _panel_context(
    request: HtmxHttpRequest,
    item: RectificationItem,
    *,
    errors: Errors | None = None,
    notice: str = "",
    posted: Any = None,
) -> dict[str, Any]:
    """What the item panel needs: the item, its files, which forms the user gets, and any errors."""
    user = request.user
    can_assign = permissions.can_assign(user, item)
    return {
        "item": item,
        "evidence": selectors.evidence_of(item),
        "can_answer": permissions.can_answer(user, item),
        "can_verify": permissions.can_verify(user, item),
        "can_assign": can_assign,
        "owners": list(selectors.department_people(item.assessment.hospital_id)) if can_assign else [],
        "errors": errors or {},
        "notice": notice,
        "posted": posted,
    }


@login_required
@require_safe
def rectification_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One item: the shortfall, owner and due date, the department's answer and files, and the forms."""
    item = _visible_item(request, pk)
    template = "rectification/partials/item_panel.html" if request.htmx else "rectification/item_detail.html"
    return TemplateResponse(request, template, _panel_context(request, item))


def _respond(
    request: HtmxHttpRequest,
    pk: int,
    *,
    notice: str = "",
    errors: Errors | None = None,
    status: int = 400,
) -> HttpResponse:
    """The panel for htmx (always 200); a redirect back (success) or the page with errors (failure) otherwise."""
    if not request.htmx and not errors:
        messages.success(request, notice)
        return redirect("rectification-detail", pk=pk)
    item = _visible_item(request, pk)  # re-read: the write may have changed it
    context = _panel_context(request, item, errors=errors, notice=notice, posted=request.POST if errors else None)
    if request.htmx:
        return TemplateResponse(request, "rectification/partials/item_panel.html", context)
    return TemplateResponse(request, "rectification/item_detail.html", context, status=status)


def _errors(exc: ValidationError) -> Errors:
    return {field: list(messages_) for field, messages_ in exc.message_dict.items()}


@login_required
@require_POST
def rectification_answer(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The department says what it did (`answer`, required) and attaches files (`files`, optional)."""
    item = _visible_item(request, pk)
    services.rectification_answer_authorize(actor=request.user, item=item)
    try:
        services.rectification_answer(
            actor=signed_in(request.user),
            item=item,
            answer=request.POST.get("answer", ""),
            files=request.FILES.getlist("files"),
        )
    except ValidationError as exc:
        return _respond(request, pk, errors=_errors(exc), status=400)
    except ItemStateError as exc:
        return _respond(request, pk, errors={"__all__": [exc.message]}, status=409)
    return _respond(request, pk, notice=_("已提交整改情况，等待质控专家核验。"))


@login_required
@require_POST
def rectification_verify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The QC side accepts (`decision=accept`: closed) or sends back (`decision=reject`, `note` required)."""
    item = _visible_item(request, pk)
    services.rectification_manage_authorize(actor=request.user, item=item)
    decision = request.POST.get("decision", "")
    if decision not in ("accept", "reject"):
        return _respond(request, pk, errors={"decision": [_("请选择“通过销号”或“退回整改”。")]}, status=400)
    try:
        services.rectification_verify(
            actor=signed_in(request.user), item=item, accept=decision == "accept", note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        return _respond(request, pk, errors=_errors(exc), status=400)
    except ItemStateError as exc:
        return _respond(request, pk, errors={"__all__": [exc.message]}, status=409)
    notice = _("已核验通过，整改项已销号。") if decision == "accept" else _("已退回科室继续整改。")
    return _respond(request, pk, notice=notice)


@login_required
@require_POST
def rectification_assign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The QC side sets the owner (`owner`: a user id, or empty for nobody) and the due date (`due_date`)."""
    item = _visible_item(request, pk)
    services.rectification_manage_authorize(actor=request.user, item=item)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _respond(request, pk, errors=field_errors(form.errors), status=400)
    owner = None
    if form.cleaned_data["owner"] is not None:
        # The service decides who may own the item; an unknown id is just another bad choice.
        owner = User.objects.filter(pk=form.cleaned_data["owner"]).first()
        if owner is None:
            return _respond(request, pk, errors={"owner": [_("责任人须为该医院麻醉科的人员。")]}, status=400)
    due_date = form.cleaned_data["due_date"]
    try:
        services.rectification_assign(actor=signed_in(request.user), item=item, owner=owner, due_date=due_date)
    except ValidationError as exc:
        return _respond(request, pk, errors=_errors(exc), status=400)
    except ItemStateError as exc:
        return _respond(request, pk, errors={"__all__": [exc.message]}, status=409)
    return _respond(request, pk, notice=_("已更新责任人和整改期限。"))


@login_required
@require_safe
@xframe_options_sameorigin
def rectification_evidence_download(request: HtmxHttpRequest, evidence_id: int) -> HttpResponseBase:
    """Serve one follow-up file to those who may see its item, as a download (`?preview=1`: PDFs and images inline)."""
    evidence = get_object_or_404(selectors.rectification_evidence_visible_to(request.user), pk=evidence_id)
    return serve_stored_file(request, evidence)
