"""Admin for rectification: browse and filter only. Assigning, answering and verifying go through the services."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from common.files import field_names

from .models import RectificationEvidence, RectificationItem


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: writes carry rules, audit and files on disk, so they go through the pages."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RectificationEvidenceInline(admin.TabularInline):
    model = RectificationEvidence
    extra = 0
    fields = ("original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RectificationItem)
class RectificationItemAdmin(ReadOnlyAdmin):
    list_display = ("criterion", "assessment", "rating", "owner", "due_date", "status", "answered_at", "verified_at")
    list_filter = ("status", "rating", "due_date", "assessment__year", "assessment__hospital")
    search_fields = ("criterion__code", "criterion__content", "assessment__hospital__name", "answer")
    list_select_related = ("criterion", "assessment__hospital", "owner")
    date_hierarchy = "due_date"
    readonly_fields = [f.name for f in RectificationItem._meta.fields]
    inlines = [RectificationEvidenceInline]


@admin.register(RectificationEvidence)
class RectificationEvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "item", "size", "uploaded_by", "uploaded_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "sha256", "item__criterion__code", "item__assessment__hospital__name")
    list_select_related = ("item__criterion", "item__assessment", "uploaded_by")
    date_hierarchy = "uploaded_at"
    readonly_fields = field_names(RectificationEvidence)
