"""Admin for evidence: browse and filter only. Uploads, deletions and reviews go through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from common.files import field_names

from .models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    """Evidence files; read-only here, since writes carry rules, audit and files on disk."""

    list_display = ("original_name", "assessment", "criterion", "review_status", "size", "uploaded_by", "uploaded_at")
    list_filter = ("review_status", "content_type", "assessment__status", "assessment__year", "assessment__hospital")
    search_fields = ("original_name", "sha256", "criterion__code", "assessment__hospital__name")
    list_select_related = ("assessment__hospital", "criterion", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = field_names(Evidence)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
