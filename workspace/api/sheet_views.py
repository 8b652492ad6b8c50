"""API of Excel score sheets: the blank sheet of a standard, the filled sheet of an assessment, the import.

Same rules as the pages (workspace.excel_views): a foreign assessment answers 404, a
user who may not rate it 403, a submitted or finalized one 409; an import stores
every row through `rating_set` or nothing, and a rejected sheet answers 400 with
every error by row and column.
"""

import io

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.typing import signed_in
from scoring import excel
from scoring.api.serializers import ScoreSheetImportedSerializer, ScoreSheetUploadSerializer, SheetErrorSerializer
from scoring.models import Standard
from scoring.selectors import assessments_visible_to
from scoring.services import rating_authorize
from workspace import services
from workspace.excel_views import blank_sheet, filled_sheet, sheet_filename, xlsx_response

XLSX_RESPONSE = {(200, excel.XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX workbook")}


class XlsxDownloadView(APIView):
    """A view whose success is a file: errors stay JSON whatever the Accept header asks for."""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple:
        # The workbook itself bypasses the renderers; only errors are rendered, and a
        # client asking for XLSX should get the JSON error rather than 406.
        return super().perform_content_negotiation(request, force=True)


class StandardSheet(XlsxDownloadView):
    """GET the blank score sheet of a standard (every criterion, ★ marked, points shown; A4)."""

    @extend_schema(operation_id="v1_standards_sheet_xlsx_retrieve", responses=XLSX_RESPONSE)
    def get(self, request: Request, code: str) -> HttpResponse:
        standard = get_object_or_404(Standard, code=code)
        return xlsx_response(blank_sheet(standard), sheet_filename(standard))


class AssessmentSheet(XlsxDownloadView):
    """GET the filled score sheet of an assessment: ratings, scores, remarks and the result."""

    @extend_schema(operation_id="v1_assessments_sheet_xlsx_retrieve", responses=XLSX_RESPONSE)
    def get(self, request: Request, pk: int) -> HttpResponse:
        assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
        return xlsx_response(filled_sheet(assessment), sheet_filename(assessment.standard, assessment))


class AssessmentSheetImport(APIView):
    """POST multipart `file`: import a filled score sheet into a draft (or returned) assessment, all or nothing."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="v1_assessments_sheet_import",
        request={"multipart/form-data": ScoreSheetUploadSerializer},
        responses={
            200: ScoreSheetImportedSerializer,
            # A sheet with errors: detail and errors by row and column. No file, or too large a one: file.
            400: inline_serializer(
                "ScoreSheetRejected",
                fields={
                    "detail": serializers.CharField(required=False),
                    "errors": SheetErrorSerializer(many=True, required=False),
                    "file": serializers.ListField(child=serializers.CharField(), required=False),
                },
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
        rating_authorize(actor=request.user, assessment=assessment)
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiValidationError({"file": [_("请选择要上传的评分表（.xlsx）。")]})
        if (upload.size or 0) > excel.MAX_UPLOAD_BYTES:
            raise ApiValidationError(
                {"file": [_("文件过大：评分表不超过 %(max)s 字节。") % {"max": excel.MAX_UPLOAD_BYTES}]}
            )
        try:
            sheet = excel.read_sheet(io.BytesIO(upload.read()))
            done = services.score_sheet_import(
                actor=signed_in(request.user), assessment=assessment, sheet=sheet, file_name=upload.name or ""
            )
        except excel.ScoreSheetInvalid as exc:
            return Response(
                {
                    "detail": _("评分表中有 %(n)s 处错误，未导入任何评分。") % {"n": len(exc.errors)},
                    "errors": [e.as_dict() for e in exc.errors],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"imported": done.imported, "unchanged": done.unchanged})


api_urlpatterns = [
    path("standards/<slug:code>/sheet.xlsx", StandardSheet.as_view(), name="standard-sheet"),
    path("assessments/<int:pk>/sheet.xlsx", AssessmentSheet.as_view(), name="assessment-sheet"),
    path("assessments/<int:pk>/sheet/", AssessmentSheetImport.as_view(), name="assessment-sheet-import"),
]
