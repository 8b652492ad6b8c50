"""API views of reports: request (202 with the job), status, list and download; thin over selectors and services."""

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.typing import signed_in
from reports import selectors, services
from reports.filters import ReportJobFilter
from reports.models import JobStatus, ReportJob, ReportKind
from reports.views import file_response
from rounds.selectors import rounds_visible_to
from scoring.selectors import assessments_visible_to

from .serializers import ReportJobSerializer, RoundReportRequestSerializer


def _language(request: Request) -> str:
    return getattr(request, "LANGUAGE_CODE", "zh-hans")


class ReportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Report jobs the caller may see (a foreign one answers 404): status, progress, checksums, download."""

    serializer_class = ReportJobSerializer
    filterset_class = ReportJobFilter

    def get_queryset(self) -> QuerySet[ReportJob]:
        if self.action == "list":
            return selectors.report_list(self.request.user)
        return selectors.with_children_counts(selectors.reports_visible_to(self.request.user))

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF (或批量报告的 ZIP)"),
            404: OpenApiResponse(description="不可见，或尚未生成完成"),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        job = self.get_object()
        if job.status != JobStatus.DONE or not job.file:
            raise Http404
        try:
            handle = job.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        services.report_download_record(actor=signed_in(request.user), job=job)
        return file_response(job, handle)


class AssessmentReports(GenericAPIView):
    """An assessment's reports: GET lists them, POST requests a new one (202 with the job)."""

    serializer_class = ReportJobSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[ReportJob]:
        return selectors.reports_visible_to(self.request.user).filter(kind=ReportKind.ASSESSMENT)

    @extend_schema(responses={200: ReportJobSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
        jobs = self.get_queryset().filter(assessment=assessment).order_by("-created_at", "-id")
        return Response(self.get_serializer(jobs, many=True).data)

    @extend_schema(request=None, responses={202: ReportJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        assessment = get_object_or_404(assessments_visible_to(request.user), pk=pk)
        job = services.report_request(
            actor=signed_in(request.user),
            kind=ReportKind.ASSESSMENT,
            assessment=assessment,
            language=_language(request),
        )
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)


class RoundReports(GenericAPIView):
    """Request a round's summary report or all its reports as one ZIP (QC centre): 202 with the job."""

    serializer_class = ReportJobSerializer

    @extend_schema(request=RoundReportRequestSerializer, responses={202: ReportJobSerializer})
    def post(self, request: Request, pk: int) -> Response:
        rnd = get_object_or_404(rounds_visible_to(request.user), pk=pk)
        data = RoundReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = services.report_request(
            actor=signed_in(request.user), kind=data.validated_data["kind"], rnd=rnd, language=_language(request)
        )
        job = selectors.with_children_counts(ReportJob.objects.filter(pk=job.pk)).get()
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
