"""Browser pages of inspection rounds: list, create, the progress board, adding hospitals and inspectors."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Hospital, Role, User
from accounts.names import display_name
from accounts.typing import signed_in
from common.filters import filter_status
from common.forms import field_errors, messages_of
from common.http import HtmxHttpRequest
from scoring.models import Standard

from . import selectors, services
from .filters import RoundHospitalFilter
from .forms import RoundCreateForm, RoundHospitalForm, TeamMemberForm
from .models import InspectionRound


def _is_admin(request: HtmxHttpRequest) -> bool:
    return bool(getattr(request.user, "is_qc_admin", False))


def _visible_round(request: HtmxHttpRequest, pk: int) -> InspectionRound:
    return get_object_or_404(selectors.rounds_visible_to(request.user), pk=pk)


@login_required
def round_list(request: HtmxHttpRequest) -> HttpResponse:
    """The rounds the user takes part in (all of them for the QC centre)."""
    return render(
        request,
        "rounds/round_list.html",
        {"rounds": selectors.rounds_visible_to(request.user), "can_create": _is_admin(request)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request: HtmxHttpRequest) -> HttpResponse:
    """Open a round (qc_admin)."""
    if not _is_admin(request):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = RoundCreateForm(request.POST)
        if not form.is_valid():
            errors = field_errors(form.errors)
        else:
            try:
                rnd = services.round_create(actor=signed_in(request.user), **form.cleaned_data)
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("检查轮次已创建。下一步：添加参检医院并指派专家。"))
                return redirect("round-detail", pk=rnd.pk)
    return render(
        request,
        "rounds/round_create.html",
        {"standards": Standard.objects.order_by("code"), "errors": errors, "data": request.POST},
        status=400 if errors else 200,
    )


@login_required
def round_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The progress board: per hospital, self-assessment and inspection progress and the outcome."""
    rnd = _visible_round(request, pk)
    filterset = RoundHospitalFilter(request.GET, queryset=selectors.round_entries_visible_to(request.user))
    rows = selectors.round_board(rnd, request.user, filterset.qs)
    context: dict[str, Any] = {"round": rnd, "rows": rows, "filter": filterset, "is_admin": _is_admin(request)}
    status = filter_status(filterset)
    if request.htmx and request.htmx.target == "board":
        return render(request, "rounds/partials/board.html", context, status=status)
    if context["is_admin"]:
        taken = rnd.entries.values("hospital_id")
        context["addable"] = Hospital.objects.exclude(pk__in=taken).order_by("name")
    return render(request, "rounds/round_detail.html", context, status=status)


@login_required
@require_POST
def round_add_hospital(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Add a hospital to the round (qc_admin)."""
    rnd = _visible_round(request, pk)
    if not _is_admin(request):
        raise PermissionDenied
    form = RoundHospitalForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(messages_of(form.errors)))
        return redirect("round-detail", pk=pk)
    hospital = form.cleaned_data["hospital"]
    try:
        services.round_add_hospital(actor=signed_in(request.user), rnd=rnd, hospital=hospital)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已添加 %(name)s，并为其创建自评与现场检查。") % {"name": hospital.name})
    return redirect("round-detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def round_assign_inspector(request: HtmxHttpRequest, pk: int, entry_id: int) -> HttpResponse:
    """Put an inspector on a hospital's team (qc_admin). GET: the form, which the board fetches when it is opened
    (800 hospitals × every inspector as options would be megabytes), or a page of its own without JavaScript."""
    rnd = _visible_round(request, pk)
    if not _is_admin(request):
        raise PermissionDenied
    entry = get_object_or_404(rnd.entries.select_related("round__standard", "hospital"), pk=entry_id)
    if request.method == "GET":
        context = {
            "round": rnd,
            "entry": entry,
            "inspectors": User.objects.filter(role=Role.INSPECTOR, is_active=True).order_by("username"),
            "chapters": rnd.standard.chapters.order_by("number"),
        }
        template = "rounds/partials/assign_form.html" if request.htmx else "rounds/assign.html"
        return render(request, template, context)
    form = TeamMemberForm(request.POST, entry=entry)
    if not form.is_valid():
        messages.error(request, " ".join(messages_of(form.errors)))
        return redirect("round-detail", pk=pk)
    inspector = form.cleaned_data["inspector"]
    try:
        services.round_assign_inspector(
            actor=signed_in(request.user),
            entry=entry,
            inspector=inspector,
            is_lead=form.cleaned_data["is_lead"],
            chapters=form.cleaned_data["chapters"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("已指派 %(who)s 检查 %(name)s。") % {"who": display_name(inspector), "name": entry.hospital.name}
        )
    return redirect("round-detail", pk=pk)
