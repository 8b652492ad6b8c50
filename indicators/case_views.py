"""Case-file upload: a browser page and an API endpoint, both calling `cases.case_import`."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
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

from .cases import case_import
from .models import CaseImport
from .services import can_enter

TRUE = {"1", "true", "on", "yes"}


def job_data(job: CaseImport) -> dict[str, Any]:
    return {
        "id": job.pk,
        "file_name": job.file_name,
        "sha256": job.sha256,
        "status": job.status,
        "rows": job.rows,
        "imported": job.imported,
        "rejected": job.rejected,
        "errors": job.errors,
    }


@login_required
@require_http_methods(["GET", "POST"])
def case_upload(request: HttpRequest, hospital_id: int) -> HttpResponse:
    """GET: the upload form and recent imports; POST: import a file and show every error by row and column."""
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
            job = case_import(
                actor=request.user,
                hospital=hospital,
                file=upload,
                name=upload.name or "",
                partial=request.POST.get("partial", "") in TRUE,
            )
    recent = CaseImport.objects.filter(hospital=hospital).select_related("uploaded_by")[:10]
    return render(
        request,
        "indicators/case_upload.html",
        {"hospital": hospital, "job": job, "missing": missing, "recent": recent},
        status=400 if missing else 200,
    )


class HospitalCaseImport(APIView):
    """POST multipart `file` (and optional `partial`): import a case file; 201 imported, 400 rejected."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": OpenApiTypes.OBJECT}, responses=OpenApiTypes.OBJECT)
    def post(self, request: Request, hospital_id: int) -> Response:
        hospital = get_object_or_404(hospitals_visible_to(request.user), pk=hospital_id)
        if not can_enter(request.user, hospital):
            raise ApiPermissionDenied(_("只有本院科室人员或质控中心可以导入病例。"))
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiValidationError({"file": [_("请选择要上传的文件。")]})
        partial = str(request.POST.get("partial", "")).lower() in TRUE
        job = case_import(actor=request.user, hospital=hospital, file=upload, name=upload.name or "", partial=partial)
        code = status.HTTP_400_BAD_REQUEST if job.status == CaseImport.Status.REJECTED else status.HTTP_201_CREATED
        return Response(job_data(job), status=code)


urlpatterns = [path("hospitals/<int:hospital_id>/cases/", case_upload, name="hospital-cases")]
api_urlpatterns = [
    path("hospitals/<int:hospital_id>/cases/", HospitalCaseImport.as_view(), name="hospital-case-import"),
]
