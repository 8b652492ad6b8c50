"""Browser pages of the workspace: the home page, assessments, the chapter-by-chapter form with autosave,
submission, finalization, results, variance and history.

Views are thin: visibility comes from `assessments_visible_to` (foreign → 404), rights from
`scoring.permissions` (→ 403), writes from the services, page contexts from `selectors`.
The same view answers a full page or, for htmx, the fragment it swaps.
"""

import csv
import zoneinfo
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import hospitals_visible_to
from accounts.typing import signed_in
from audit import selectors as audit_selectors
from audit.models import AuditEvent
from common.exports import csv_cell
from common.filters import filter_status
from common.forms import field_errors, messages_of
from common.http import HtmxHttpRequest
from scoring import permissions
from scoring import services as scoring_services
from scoring.errors import AssessmentLocked, RatingConflict
from scoring.filters import AssessmentFilter
from scoring.models import Assessment, Chapter, Criterion, Standard
from scoring.permissions import Action
from scoring.selectors import assessment_variance as variance_of
from scoring.selectors import assessments_visible_to, assessments_with_progress, standards_list

from . import selectors, services
from .forms import AssessmentCreateForm, CriterionReturnForm, RatingForm
from .home import next_steps


@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """What to do next, per role; for visitors, what anesqc is and where to sign in."""
    context: dict[str, Any] = {"standards": standards_list()}
    if request.user.is_authenticated:
        rows = assessments_with_progress(assessments_visible_to(request.user))
        context.update(
            {
                "rows": rows,
                "steps": next_steps(request.user, rows),
                "todo": [r for r in rows if r["assessment"].status != "finalized"],
                "can_create": permissions.creatable_kinds(request.user),
                "hospitals": hospitals_visible_to(request.user),
            }
        )
    return render(request, "home.html", context)


def _visible_assessment(request: HtmxHttpRequest, pk: int) -> Assessment:
    return get_object_or_404(assessments_visible_to(request.user), pk=pk)


@login_required
def assessment_list(request: HtmxHttpRequest) -> HttpResponse:
    """The assessments the user may see, with progress; filterable; a fragment for htmx."""
    filterset = AssessmentFilter(request.GET, queryset=assessments_visible_to(request.user))
    rows = assessments_with_progress(filterset.qs)
    context = {
        "filter": filterset,
        "rows": rows,
        "can_create": permissions.creatable_kinds(request.user),
    }
    template = "workspace/partials/assessment_rows.html" if request.htmx else "workspace/assessment_list.html"
    return render(request, template, context, status=filter_status(filterset))


@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request: HtmxHttpRequest) -> HttpResponse:
    """Open a new assessment; the form offers only what the user may create."""
    kinds = permissions.creatable_kinds(request.user)
    if not kinds:
        raise PermissionDenied
    hospitals = hospitals_visible_to(request.user)
    standards = Standard.objects.order_by("code")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = AssessmentCreateForm(request.POST, hospitals=hospitals, standards=standards)
        if not form.is_valid():
            errors = field_errors(form.errors)
        else:
            try:
                assessment = scoring_services.assessment_create(actor=signed_in(request.user), **form.cleaned_data)
            except ValidationError as exc:
                errors = field_errors(exc)
            else:
                messages.success(request, _("评审已创建。"))
                return redirect("assessment-detail", pk=assessment.pk)
    return render(
        request,
        "workspace/assessment_create.html",
        {"kinds": kinds, "hospitals": hospitals, "standards": standards, "errors": errors, "data": request.POST},
        status=400 if errors else 200,
    )


@login_required
def assessment_detail(request: HtmxHttpRequest, pk: int, chapter: int | None = None) -> HttpResponse:
    """The workspace: every criterion on one page, grouped by chapter (or one chapter), filtered and searched."""
    assessment = _visible_assessment(request, pk)
    page = selectors.assessment_form_page(
        assessment,
        chapter_number=chapter,
        show=request.GET.get("show", "all"),
        query=request.GET.get("q", ""),
        user=request.user,
        # The whole workspace is one line per criterion, details fetched when opened; a chapter's page (where
        # links to a criterion lead, and the way to the details without JavaScript) carries them inline.
        inline_details=chapter is not None,
    )
    if page is None:
        raise Http404
    template = "workspace/partials/criteria.html" if request.htmx else "workspace/assessment_detail.html"
    return render(request, template, page)


@login_required
@require_GET
def criterion_details(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """One criterion's details (wording, rule, suggestions, remark, evidence, history link), fetched when opened."""
    assessment = _visible_assessment(request, pk)
    context = selectors.criterion_details_page(assessment, code, request.user)
    if context is None:
        raise Http404
    return render(request, "workspace/partials/criterion_details.html", context)


@login_required
@require_POST
def chapter_rest_met(request: HtmxHttpRequest, pk: int, chapter: int) -> HttpResponse:
    """Rate the rest of a chapter 达标 (★ items and unmet suggestions aside); answers the chapter's section."""
    assessment = _visible_assessment(request, pk)
    if not Chapter.objects.filter(standard_id=assessment.standard_id, number=chapter).exists():
        raise Http404
    scoring_services.rating_authorize(actor=request.user, assessment=assessment)
    notice, error = "", ""
    try:
        done = services.chapter_rest_met(actor=signed_in(request.user), assessment=assessment, chapter_number=chapter)
    except AssessmentLocked as exc:
        error = exc.message
    except RatingConflict:
        error = _("刚刚有人评定了本章的细则，未作任何更改；请查看后重试。")
    else:
        notice = _("已将第 %(chapter)s 章其余 %(n)s 项细则标为达标。") % {"chapter": chapter, "n": len(done)}
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, notice)
        return redirect(reverse("assessment-detail", args=[pk]) + f"#chapter-{chapter}")
    page = selectors.assessment_form_page(
        assessment,
        chapter_number=chapter,
        show=request.POST.get("show", "all"),
        query=request.POST.get("q", ""),
        user=request.user,
        inline_details=False,  # htmx answers: the details load when opened, as on the whole workspace
    )
    if page is None:
        raise Http404
    page.update({"group": page["groups"][0], "oob_section_totals": True, "bulk_notice": notice, "bulk_error": error})
    return render(request, "workspace/partials/chapter_section.html", page)


@login_required
@require_POST
def rating_save(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """Autosave one criterion (htmx) or save it from the plain form; answers the criterion's fragment."""
    assessment = _visible_assessment(request, pk)
    criterion = get_object_or_404(Criterion, standard_id=assessment.standard_id, code=code)
    scoring_services.rating_authorize(actor=request.user, assessment=assessment)
    state, errors, conflict = "saved", {}, None
    form = RatingForm(request.POST)
    if not form.is_valid():
        # E.g. a remark typed before choosing a rating, or a score that is no number: say where, store nothing.
        state, errors = "failed", field_errors(form.errors)
    else:
        data = form.cleaned_data
        # Details never opened post no remark: the stored one stays (a blank remark posted clears it).
        remark = data["remark"] if "remark" in request.POST else None
        try:
            services.rating_save(
                actor=signed_in(request.user),
                assessment=assessment,
                criterion=criterion,
                rating=data["rating"],
                score=data["score"],
                remark=remark,
                expected_version=data["version"],
            )
        except ValidationError as exc:
            state, errors = "failed", field_errors(exc)
        except RatingConflict as exc:
            state, conflict = "conflict", exc.current
        except AssessmentLocked as exc:
            state, errors = "failed", {"rating": [exc.message]}
    if not request.htmx:
        if state == "saved":
            messages.success(request, _("已保存 %(code)s。") % {"code": code})
        elif errors:
            details = "；".join(messages_of(errors))
            messages.error(request, _("%(code)s 未保存：%(details)s") % {"code": code, "details": details})
        else:
            messages.error(request, _("%(code)s 未保存，请检查后重试。") % {"code": code})
        chapter = criterion.item.chapter.number
        return redirect(reverse("assessment-chapter", args=[pk, chapter]) + f"#c-{code}")
    context = selectors.criterion_fragment(assessment, criterion, request.user)
    if state != "saved":
        # Show what the user chose, not what is stored, so nothing they typed is lost.
        context["entry"]["current"] = request.POST.get("rating", "")
    context.update(
        {
            "state": state,
            "errors": errors,
            "conflict": conflict,
            "posted": request.POST if state != "saved" else None,
            "oob_totals": True,
        }
    )
    return render(request, "workspace/partials/criterion.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def assessment_submit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Confirm and submit: lists unrated criteria and unmet veto items first."""
    assessment = _visible_assessment(request, pk)
    if not permissions.may(request.user, assessment, Action.SUBMIT):
        raise PermissionDenied
    if request.method == "POST":
        try:
            scoring_services.assessment_submit(actor=signed_in(request.user), assessment=assessment)
        except AssessmentLocked as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已提交。提交后自评只读。"))
        return redirect("assessment-result", pk=pk)
    return render(
        request, "workspace/assessment_submit.html", selectors.assessment_confirm_page(assessment, request.user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_finalize(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Confirm and finalize (inspectors and qc_admin): total, chapters, vetoes, threshold and outcome."""
    assessment = _visible_assessment(request, pk)
    if not permissions.may(request.user, assessment, Action.FINALIZE):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.assessment_finalize(actor=signed_in(request.user), assessment=assessment)
        except AssessmentLocked as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("assessment-finalize", pk=pk)
        else:
            messages.success(request, _("已定稿，评审结果已锁定。"))
        return redirect("assessment-result", pk=pk)
    return render(
        request, "workspace/assessment_finalize.html", selectors.assessment_finalize_page(assessment, request.user)
    )


@login_required
@require_http_methods(["GET", "POST"])
def assessment_reopen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Send a submitted inspection back to draft (qc_admin), with the reason, after a confirmation."""
    assessment = _visible_assessment(request, pk)
    if not permissions.may(request.user, assessment, Action.REOPEN):
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            scoring_services.assessment_reopen(
                actor=signed_in(request.user), assessment=assessment, reason=request.POST.get("reason", "")
            )
        except AssessmentLocked as exc:
            messages.error(request, exc.message)
            return redirect("assessment-detail", pk=pk)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("现场检查已重新打开为草稿，可继续评分后再提交。"))
            return redirect("assessment-detail", pk=pk)
    context = {"assessment": assessment, "errors": errors, "data": request.POST}
    return render(request, "workspace/assessment_reopen.html", context, status=400 if errors else 200)


@login_required
def assessment_variance(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Self-assessment against inspection: per criterion and per chapter, largest gaps first."""
    assessment = _visible_assessment(request, pk)
    variance = variance_of(assessment, within=assessments_visible_to(request.user))
    return render(request, "workspace/assessment_variance.html", {"assessment": assessment, "variance": variance})


@login_required
def assessment_result(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Totals, chapter and item subtotals, vetoes, threshold, gap and thresholds met."""
    assessment = _visible_assessment(request, pk)
    return render(
        request, "workspace/assessment_result.html", selectors.assessment_result_page(assessment, request.user)
    )


@login_required
@require_POST
def criterion_return(request: HtmxHttpRequest, pk: int, code: str) -> HttpResponse:
    """Send one criterion of a submitted self-assessment back to the department (QC side)."""
    assessment = _visible_assessment(request, pk)
    criterion = get_object_or_404(Criterion, standard_id=assessment.standard_id, code=code)
    if not permissions.may(request.user, assessment, Action.REVIEW):
        raise PermissionDenied
    form = CriterionReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(messages_of(form.errors)))
    else:
        try:
            scoring_services.criterion_return(
                actor=signed_in(request.user),
                assessment=assessment,
                criterion=criterion,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except AssessmentLocked as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("已将 %(code)s 退回科室。") % {"code": code})
    target = form.cleaned_data.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("assessment-detail", args=[pk])
    return redirect(target)


# --- history: every recorded change of an assessment ----------------------------------------------

HISTORY_PAGE_SIZE = 100


def _history_events(request: HtmxHttpRequest, assessment: Assessment) -> tuple[QuerySet[AuditEvent], str]:
    code = request.GET.get("criterion", "").strip()
    return audit_selectors.assessment_history(assessment, criterion_code=code or None), code


@login_required
def assessment_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every recorded change of the assessment (who, when, old → new), newest first; `?criterion=` narrows it.

    Whoever may see the assessment may see its history: it shows the values, remarks,
    evidence names and reasons the assessment pages already show those same people, so
    it uses the one visibility scope (foreign → 404) and no further right.
    """
    assessment = _visible_assessment(request, pk)
    events, code = _history_events(request, assessment)
    page = Paginator(events, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = audit_selectors.history_rows(page.object_list)
    chapters = dict(
        Criterion.objects.filter(
            standard_id=assessment.standard_id, code__in={r.event.criterion_code for r in rows} - {""}
        ).values_list("code", "item__chapter__number")
    )
    codes = audit_selectors.history_criterion_codes(assessment)
    if code and code not in codes:
        codes.append(code)
    context = {
        "assessment": assessment,
        "rows": [{"row": r, "chapter": chapters.get(r.event.criterion_code)} for r in rows],
        "page": page,
        "criterion_code": code,
        "criterion_codes": codes,
    }
    return render(request, "workspace/assessment_history.html", context)


@login_required
def assessment_history_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The history as CSV (UTF-8 with BOM, for Excel), every event; same visibility and filter as the page."""
    assessment = _visible_assessment(request, pk)
    events, _code = _history_events(request, assessment)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{assessment.pk}-history.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_("时间"), _("操作人"), _("操作"), _("细则"), _("字段变化"), _("原因")])
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    for row in audit_selectors.history_rows(events):
        writer.writerow(
            [
                timezone.localtime(row.event.created_at, shanghai).isoformat(timespec="seconds"),
                csv_cell(audit_selectors.actor_name(row.event)),
                row.action,
                row.event.criterion_code,
                csv_cell(row.changes_text),
                csv_cell(row.reason),
            ]
        )
    return response
