"""Serializers of report jobs. Rules live in the services."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.models import ROUND_KINDS, ReportJob


class ChildrenSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()


class ReportJobSerializer(serializers.ModelSerializer):
    """A report job: status and progress, and once done its checksums and where to download it."""

    requested_by: "serializers.SlugRelatedField[Any]" = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()

    class Meta:
        model = ReportJob
        fields = [
            "id",
            "kind",
            "status",
            "progress",
            "error",
            "assessment",
            "round",
            "parent",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "size",
            "sha256",
            "content_sha256",
            "children",
            "url",
            "download_url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, job: ReportJob) -> str:
        return self._absolute(reverse("v1:report-detail", args=[job.pk]))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, job: ReportJob) -> str | None:
        """Where the finished file is (null until the job is done)."""
        if job.status != "done":
            return None
        return self._absolute(reverse("v1:report-download", args=[job.pk]))

    @extend_schema_field(ChildrenSerializer(allow_null=True))
    def get_children(self, job: ReportJob) -> dict[str, Any] | None:
        """For a round's bulk request: how many of its reports exist, are done, failed."""
        if job.kind != "round_bulk":
            return None
        return {
            "total": getattr(job, "children_total", 0),
            "done": getattr(job, "children_done", 0),
            "failed": getattr(job, "children_failed", 0),
        }


class RoundReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in ROUND_KINDS])
