"""Browser pages of reports: request from an assessment or a round, live status, the list, download.

Views are thin: visibility comes from the scoping selectors (foreign → 404), rights from the
services' authorize checks (→ 403), writes from `services`. A job's status is one fragment:
the detail page shows it, and it polls itself with htmx until the job has finished.
"""

import base64
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.typing import signed_in
from common.filters import filter_status
from common.http import HtmxHttpRequest
from rounds.selectors import rounds_visible_to
from scoring.selectors import assessments_visible_to

from . import selectors, services
from .filters import ReportJobFilter
from .models import ROUND_KINDS, JobStatus, ReportJob, ReportKind

PAGE_SIZE = 50


@login_required
@require_safe
def report_list(request: HtmxHttpRequest) -> HttpResponse:
    """Past and current reports the user may see, with both checksums; filterable; a fragment for htmx."""
    filterset = ReportJobFilter(request.GET, queryset=selectors.report_list(request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "filter": filterset,
        "page": page,
        "jobs": page.object_list,
        "kinds": ReportKind.choices,
        "statuses": JobStatus.choices,
    }
    template = "reports/partials/report_rows.html" if request.htmx else "reports/report_list.html"
    return render(request, template, context, status=filter_status(filterset))


def _visible_job(request: HtmxHttpRequest, pk: int) -> ReportJob:
    job = selectors.job_detail(request.user, pk)
    if job is None:
        raise Http404
    return job


@login_required
@require_safe
def report_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One report's status, progress and checksums; for htmx the status fragment, which polls until done."""
    job = _visible_job(request, pk)
    if request.htmx:
        return render(request, "reports/partials/job_status.html", {"job": job})
    children = selectors.children_of(job) if job.kind == ReportKind.ROUND_BULK else []
    left_out = selectors.left_out_of(job, children)
    return render(request, "reports/report_detail.html", {"job": job, "children": children, "left_out": left_out})


@login_required
@require_safe
def report_download(request: HtmxHttpRequest, pk: int) -> FileResponse:
    """The finished file, as an attachment; audited. Not finished (or not visible): 404."""
    job = get_object_or_404(selectors.reports_visible_to(request.user), pk=pk)
    if job.status != JobStatus.DONE or not job.file:
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    services.report_download_record(actor=signed_in(request.user), job=job)
    return file_response(job, handle)


def file_response(job: ReportJob, handle: Any) -> FileResponse:
    """A report file as a download, with its SHA-256 in a Repr-Digest header (RFC 9530)."""
    content_type = "application/zip" if job.kind == ReportKind.ROUND_BULK else "application/pdf"
    response = FileResponse(handle, as_attachment=True, filename=job.download_name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(job.sha256)).decode()}:"
    return response


def _answer(request: HtmxHttpRequest, job: ReportJob, recent: list[ReportJob]) -> HttpResponse:
    if request.htmx:
        return render(request, "reports/partials/job_list.html", {"jobs": recent})
    return redirect("report-detail", pk=job.pk)


@login_required
@require_POST
def assessment_report_request(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Request the PDF report of an assessment the user can see."""
    assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
    job = services.report_request(
        actor=signed_in(request.user),
        kind=ReportKind.ASSESSMENT,
        assessment=assessment,
        language=getattr(request, "LANGUAGE_CODE", "zh-hans"),
    )
    return _answer(request, job, selectors.recent_for_assessment(request.user, assessment.pk))


@login_required
@require_POST
def round_report_request(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Request a round's summary report, or all its reports as one ZIP (QC centre)."""
    rnd = get_object_or_404(rounds_visible_to(request.user), pk=pk)
    kind = request.POST.get("kind", "")
    if kind not in ROUND_KINDS:
        return HttpResponseBadRequest(_("未知的报告类型。"))
    job = services.report_request(
        actor=signed_in(request.user), kind=kind, rnd=rnd, language=getattr(request, "LANGUAGE_CODE", "zh-hans")
    )
    return _answer(request, job, selectors.recent_for_round(request.user, rnd.pk))
