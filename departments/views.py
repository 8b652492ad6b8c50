"""Browser pages of department profiles: the yearly form with live rule evaluations, documents, the trend,
and the QC centre's city-wide table of shortfalls (also as XLSX)."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from accounts.models import Hospital, Level, Role
from accounts.selectors import hospitals_visible_to
from accounts.typing import signed_in
from common.exports import export_row
from common.files import serve_stored_file
from common.http import HtmxHttpRequest
from common.params import year_in_range, year_param
from scoring import services as scoring_services
from scoring.models import Criterion

from . import selectors, services
from .facts import FACTS, SECTIONS, fact
from .models import CriterionRule, DepartmentProfile, DirectorTitle


def _visible_hospital(request: HtmxHttpRequest, pk: int) -> Hospital:
    return get_object_or_404(hospitals_visible_to(request.user), pk=pk)


@login_required
@require_safe
def profile_home(request: HtmxHttpRequest) -> HttpResponse:
    """A department goes to its own profile of this year; the QC centre and inspectors pick a hospital."""
    year = year_param(request.GET.get("year"))
    hospitals = list(hospitals_visible_to(request.user).order_by("level", "name"))
    role = getattr(request.user, "effective_role", None)
    if role in (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF) and len(hospitals) == 1:
        return redirect("profile-detail", pk=hospitals[0].pk, year=year)
    filled = set(
        DepartmentProfile.objects.filter(year=year, hospital__in=[h.pk for h in hospitals]).values_list(
            "hospital_id", flat=True
        )
    )
    rows = [{"hospital": h, "filled": h.pk in filled} for h in hospitals]
    return render(
        request,
        "departments/profile_home.html",
        {"rows": rows, "year": year, "can_see_shortfalls": services.can_edit_rules(request.user)},
    )


def _sections(profile: DepartmentProfile | None, posted: Any, errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Each section's facts with their label, unit, input value (as typed when re-shown) and errors."""
    out = []
    for title, names in SECTIONS:
        rows = []
        for name in names:
            f = fact(name)
            if posted is not None:
                value = posted.get(name, "")
            else:
                stored = getattr(profile, name) if profile is not None else None
                value = "" if stored is None else (("true" if stored else "false") if f.kind == "flag" else stored)
            rows.append({"fact": f, "value": value, "errors": errors.get(name, [])})
        out.append({"title": title, "rows": rows})
    return out


def _page_context(
    request: HtmxHttpRequest,
    hospital: Hospital,
    year: int,
    *,
    posted: Any = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    profile = selectors.profile_of(hospital, year)
    standard = selectors.default_standard()
    evaluations = selectors.evaluate_profile(
        hospital, profile, selectors.rules_for_year(standard.pk, year) if standard else []
    )
    documents = list(profile.documents.select_related("uploaded_by")) if profile else []
    by_fact: dict[str, list[Any]] = {}
    for document in documents:
        by_fact.setdefault(document.fact, []).append(document)
    errors = errors or {}
    return {
        "hospital": hospital,
        "year": year,
        "profile": profile,
        "sections": _sections(profile, posted, errors),
        "errors": errors,
        "evaluations": list(evaluations.values()),
        "unmet": sum(1 for e in evaluations.values() if e.outcome.met is False),
        "documents": by_fact,
        "document_facts": [fact(n) for n in FACTS],
        "titles": DirectorTitle.choices,
        "can_edit": services.can_edit_profile(request.user, hospital),
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile_detail(request: HtmxHttpRequest, pk: int, year: int) -> HttpResponse:
    """One year's profile: a form for the department (read-only for inspectors) and every rule's outcome."""
    hospital = _visible_hospital(request, pk)
    if not year_in_range(year):
        raise Http404
    if request.method == "POST":
        if not services.can_edit_profile(request.user, hospital):
            raise PermissionDenied
        data = {name: request.POST.get(name, "") for name in FACTS if name in request.POST}
        try:
            services.profile_save(actor=signed_in(request.user), hospital=hospital, year=year, data=data)
        except ValidationError as exc:
            context = _page_context(request, hospital, year, posted=request.POST, errors=exc.message_dict)
            template = "departments/partials/profile_body.html" if request.htmx else "departments/profile.html"
            return render(request, template, context, status=422)
        if not request.htmx:
            messages.success(request, _("科室概况已保存。"))
            return redirect("profile-detail", pk=hospital.pk, year=year)
        context = _page_context(request, hospital, year)
        context["saved"] = True
        return render(request, "departments/partials/profile_body.html", context)
    return render(request, "departments/profile.html", _page_context(request, hospital, year))


@login_required
@require_POST
def profile_document_upload(request: HtmxHttpRequest, pk: int, year: int) -> HttpResponse:
    """Attach files to one fact; the profile is created (empty) if the year has none yet."""
    hospital = _visible_hospital(request, pk)
    if not services.can_edit_profile(request.user, hospital) or not year_in_range(year):
        raise PermissionDenied
    profile = selectors.profile_of(hospital, year) or services.profile_save(
        actor=signed_in(request.user), hospital=hospital, year=year, data={}
    )
    try:
        services.profile_document_upload(
            actor=signed_in(request.user),
            profile=profile,
            fact_name=request.POST.get("fact", ""),
            files=request.FILES.getlist("files"),
        )
    except ValidationError as exc:
        for problems in exc.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.success(request, _("佐证材料已上传。"))
    return redirect(reverse("profile-detail", kwargs={"pk": hospital.pk, "year": year}) + "#documents")


def _visible_document(request: HtmxHttpRequest, pk: int) -> Any:
    return get_object_or_404(selectors.documents_visible_to(request.user), pk=pk)


@login_required
@require_safe
def profile_document_download(request: HtmxHttpRequest, pk: int) -> HttpResponseBase:
    return serve_stored_file(request, _visible_document(request, pk))


@login_required
@require_POST
def profile_document_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    document = _visible_document(request, pk)
    profile = document.profile
    services.profile_document_delete(actor=signed_in(request.user), document=document)
    messages.success(request, _("佐证材料已删除。"))
    return redirect(reverse("profile-detail", kwargs={"pk": profile.hospital_id, "year": profile.year}) + "#documents")


@login_required
@require_safe
def profile_trend(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every year's facts and rule outcomes side by side, so growth (or decline) shows."""
    hospital = _visible_hospital(request, pk)
    profiles = selectors.profile_years(hospital)[:6]
    standard = selectors.default_standard()
    columns = [
        (
            p,
            selectors.evaluate_profile(hospital, p, selectors.rules_for_year(standard.pk, p.year) if standard else []),
        )
        for p in reversed(profiles)
    ]
    facts = [
        {"fact": fact(name), "values": [getattr(p, name) for p, _e in columns]}
        for _title, names in SECTIONS
        for name in names
    ]
    codes = sorted(
        {code for _p, e in columns for code in e},
        key=lambda c: [int(x) for x in c.replace("-", ".").split(".") if x.isdigit()],
    )
    outcomes = [{"code": code, "values": [e.get(code) for _p, e in columns]} for code in codes]
    return render(
        request,
        "departments/profile_trend.html",
        {"hospital": hospital, "years": [p.year for p, _e in columns], "facts": facts, "outcomes": outcomes},
    )


def _require_qc_admin(request: HtmxHttpRequest) -> None:
    if not services.can_edit_rules(request.user):
        raise PermissionDenied


@login_required
@require_safe
def shortfalls(request: HtmxHttpRequest) -> HttpResponse:
    """The QC centre's city-wide table: per criterion and level, how many hospitals fall short, and who."""
    _require_qc_admin(request)
    year = year_param(request.GET.get("year"))
    standard = selectors.default_standard()
    table = selectors.shortfalls(year, standard.pk, Hospital.objects.all()) if standard else None
    return render(request, "departments/shortfalls.html", {"year": year, "table": table})


@login_required
@require_safe
def shortfalls_xlsx(request: HtmxHttpRequest) -> HttpResponse:
    """The city-wide table of shortfalls as a workbook: a summary sheet and one row per hospital short."""
    _require_qc_admin(request)
    year = year_param(request.GET.get("year"))
    standard = selectors.default_standard()
    if standard is None:
        raise Http404
    table = selectors.shortfalls(year, standard.pk, Hospital.objects.all())
    book = Workbook()
    summary = book.active
    summary.title = _("汇总")
    header = [_("细则"), _("要求"), _("未达标医院数")]
    short, met, unknown = _("未达标"), _("达标"), _("数据不全")
    for _level, label in table["levels"]:
        header += [f"{label} {short}", f"{label} {met}", f"{label} {unknown}"]
    summary.append(header)
    detail = book.create_sheet(_("未达标明细"))
    detail.append([_("细则"), _("医院"), _("等级"), _("差距")])
    for row in table["rows"]:
        line = [row["rule"].criterion.code, row["rule"].note, row["unmet"]]
        for level, _label in table["levels"]:
            cell = row["levels"][level]
            line += [cell["unmet"], cell["met"], cell["unknown"]]
            for hospital, outcome in cell["short"]:
                detail.append(
                    export_row(
                        [
                            row["rule"].criterion.code,
                            hospital.name,
                            hospital.get_level_display(),
                            "；".join(outcome.lines()),
                        ]
                    )
                )
        summary.append(export_row(line))
    for sheet in (summary, detail):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    summary.column_dimensions["B"].width = 60
    detail.column_dimensions["B"].width = 30
    detail.column_dimensions["D"].width = 100
    for row_cells in summary.iter_rows(min_row=2):
        row_cells[1].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="shortfalls-{year}.xlsx"'
    return response


def _rule_settings_context(errors: dict[str, Any] | None = None) -> dict[str, Any]:
    standard = selectors.default_standard()
    readings = (
        list(
            CriterionRule.objects.filter(criterion__standard=standard)
            .exclude(readings={})
            .select_related("criterion")
            .order_by("criterion__position", "-valid_from")
        )
        if standard
        else []
    )
    criteria = list(Criterion.objects.filter(standard=standard).order_by("position")) if standard else []
    return {
        "standard": standard,
        "readings": readings,
        "criteria": criteria,
        "marked": [c for c in criteria if c.not_applicable_levels],
        "levels": Level.choices,
        "errors": errors or {},
    }


@login_required
@require_safe
def rule_settings(request: HtmxHttpRequest) -> HttpResponse:
    """The QC centre's choices where the standard is ambiguous: which reading of a rule is in force, and the
    hospital levels a criterion does not apply to. Both audited, both with a reason."""
    _require_qc_admin(request)
    return render(request, "departments/rule_settings.html", _rule_settings_context())


@login_required
@require_POST
def rule_reading_set(request: HtmxHttpRequest, code: str) -> HttpResponseBase:
    """Choose one reading of a criterion's rule from a year on (`services.rule_set`)."""
    _require_qc_admin(request)
    standard = selectors.default_standard()
    criterion = get_object_or_404(Criterion, standard=standard, code=code)
    raw_year = request.POST.get("valid_from", "")
    try:
        valid_from = int(raw_year)
    except ValueError:
        valid_from = -1
    try:
        services.rule_set(
            actor=signed_in(request.user),
            criterion=criterion,
            valid_from=valid_from,
            reading=request.POST.get("reading", ""),
            reason=request.POST.get("reason", "").strip(),
        )
    except ValidationError as exc:
        context = _rule_settings_context({"code": code, "messages": exc.messages})
        return render(request, "departments/rule_settings.html", context, status=400)
    messages.success(request, _("细则 %(code)s 的解读已更新。") % {"code": code})
    return redirect("rule-settings")


@login_required
@require_POST
def criterion_levels_set(request: HtmxHttpRequest) -> HttpResponseBase:
    """Set the hospital levels a criterion does not apply to (`scoring.services.criterion_set_not_applicable`)."""
    _require_qc_admin(request)
    standard = selectors.default_standard()
    code = request.POST.get("criterion", "")
    criterion = Criterion.objects.filter(standard=standard, code=code).first()
    try:
        if criterion is None:
            raise ValidationError({"criterion": _("请选择细则。")})
        scoring_services.criterion_set_not_applicable(
            actor=signed_in(request.user),
            criterion=criterion,
            levels=request.POST.getlist("levels"),
            reason=request.POST.get("reason", "").strip(),
        )
    except ValidationError as exc:
        context = _rule_settings_context({"code": "levels", "messages": exc.messages})
        return render(request, "departments/rule_settings.html", context, status=400)
    messages.success(request, _("细则 %(code)s 的适用级别已更新。") % {"code": code})
    return redirect("rule-settings")
