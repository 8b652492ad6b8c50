"""Admin for report jobs: browse and filter only; requests and renders go through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import ReportJob


@admin.register(ReportJob)
class ReportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "progress", "assessment", "round", "requested_by", "created_at", "sha256")
    list_filter = ("kind", "status", "created_at")
    search_fields = ("sha256", "content_sha256", "assessment__hospital__name", "round__name")
    list_select_related = ("assessment__hospital", "round", "requested_by")
    raw_id_fields = ("assessment", "round", "parent", "requested_by")
    readonly_fields = [f.name for f in ReportJob._meta.fields]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting the row would leave its file behind and break the checksum trail.
        return False
