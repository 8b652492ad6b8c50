"""Case-file upload and case-import jobs: browser pages and API endpoints, thin over `cases.jobs`.

A small file is imported inside the upload request (the page shows the result, the API answers 201,
or 400 when the file is refused); a larger one becomes a job (the page moves to the job's page, the
API answers 202). A job's status is one fragment: its page shows it, and it polls itself with htmx
until the job has ended. Only who may see the hospital sees its imports; a foreign one answers 404.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Hospital
from accounts.selectors import hospitals_visible_to
from accounts.typing import signed_in
from common.http import HtmxHttpRequest

from . import selectors
from .cases import jobs
from .models import CaseImport
from .services import can_enter

TRUE = {"1", "true", "on", "yes"}


def job_data(job: CaseImport, request: Request | None = None) -> dict[str, Any]:
    """A case import as JSON: the outcome once it has ended, its progress while it runs."""
    url = reverse("v1:case-import-detail", kwargs={"pk": job.pk})
    return {
        "id": job.pk,
        "url": request.build_absolute_uri(url) if request is not None else url,
        "hospital": job.hospital_id,
        "file_name": job.file_name,
        "sha256": job.sha256,
        "size": job.size,
        "partial": job.partial,
        "status": job.status,
        "rows_read": job.rows_read,
        "bytes_read": job.bytes_read,
        "percent": job.percent,
        "rows": job.rows,
        "imported": job.imported,
        "rejected": job.rejected,
        "errors": job.errors,
        "error": job.error,
        "attempts": job.attempts,
        "created": job.created,
        "started": job.started,
        "finished": job.finished,
    }


def _language(request: Any) -> str:
    return getattr(request, "LANGUAGE_CODE", "") or ""


@login_required
@require_http_methods(["GET", "POST"])
def case_upload(request: HtmxHttpRequest, hospital_id: int) -> HttpResponse:
    """GET: the upload form and recent imports; POST: import a small file and show every error by row and
    column, or queue a larger one and move to its page."""
    hospital: Hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
    if not can_enter(request.user, hospital):
        raise PermissionDenied
    job = None
    missing = False
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            missing = True
        else:
            job = jobs.case_import_request(
                actor=signed_in(request.user),
                hospital=hospital,
                upload=upload,
                name=upload.name or "",
                partial=request.POST.get("partial", "") in TRUE,
                language=_language(request),
            )
            if not job.is_finished:
                return redirect("case-import-detail", pk=job.pk)
    recent = selectors.recent_case_imports(request.user, hospital)
    return render(
        request,
        "indicators/case_upload.html",
        {"hospital": hospital, "job": job, "missing": missing, "recent": recent},
        status=400 if missing else 200,
    )


@login_required
@require_safe
def case_import_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One case import: its status and progress, then its outcome; for htmx the status fragment, which polls."""
    job = get_object_or_404(selectors.case_imports_visible_to(request.user), pk=pk)
    if request.htmx:
        return render(request, "indicators/partials/case_import_status.html", {"job": job})
    context = {"job": job, "hospital": job.hospital, "may_upload": can_enter(request.user, job.hospital)}
    return render(request, "indicators/case_import_detail.html", context)


class HospitalCaseImport(APIView):
    """POST multipart `file` (and optional `partial`): import a case file.

    A small file is imported at once: 201 imported (or partially), 400 refused, with its errors. A larger
    one is queued: 202 with the job, whose `url` tells its progress and, once it has ended, its outcome.
    """

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": OpenApiTypes.OBJECT},
        responses={201: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, hospital_id: int) -> Response:
        hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
        if not can_enter(request.user, hospital):
            raise ApiPermissionDenied(_("只有本院科室人员或质控中心可以导入病例。"))
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiValidationError({"file": [_("请选择要上传的文件。")]})
        partial = str(request.POST.get("partial", "")).lower() in TRUE
        job = jobs.case_import_request(
            actor=signed_in(request.user),
            hospital=hospital,
            upload=upload,
            name=upload.name or "",
            partial=partial,
            language=_language(request),
        )
        code: int
        if not job.is_finished:
            code = status.HTTP_202_ACCEPTED
        elif job.status == CaseImport.Status.REJECTED:
            code = status.HTTP_400_BAD_REQUEST
        else:
            code = status.HTTP_201_CREATED
        return Response(job_data(job, request), status=code)


class CaseImportDetail(APIView):
    """GET one case import the caller may see (another hospital's answers 404): status, progress, outcome."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        job = get_object_or_404(selectors.case_imports_visible_to(request.user), pk=pk)
        return Response(job_data(job, request))


urlpatterns = [
    path("hospitals/<int:hospital_id>/cases/", case_upload, name="hospital-cases"),
    path("case-imports/<int:pk>/", case_import_detail, name="case-import-detail"),
]
api_urlpatterns = [
    path("hospitals/<int:hospital_id>/cases/", HospitalCaseImport.as_view(), name="hospital-case-import"),
    path("case-imports/<int:pk>/", CaseImportDetail.as_view(), name="case-import-detail"),
]
