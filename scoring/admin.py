"""Admin for the standard, assessments and ratings.

Writes that carry rules (veto flags, submission, finalization) go through the
services, so the admin cannot bypass validation or the audit trail.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.typing import signed_in
from audit.admin import AuditedModelAdmin

from . import services
from .errors import AssessmentLocked
from .models import (
    Assessment,
    AssessmentStatus,
    Chapter,
    Criterion,
    CriterionReturn,
    GradeThreshold,
    Item,
    Rating,
    Standard,
)


class GradeThresholdInline(admin.TabularInline):
    model = GradeThreshold
    extra = 0


@admin.register(Standard)
class StandardAdmin(AuditedModelAdmin):
    list_display = ("code", "title", "total_points", "issued_on")
    inlines = [GradeThresholdInline]


@admin.register(Chapter)
class ChapterAdmin(AuditedModelAdmin):
    list_display = ("standard", "number", "title", "max_points")
    list_filter = ("standard",)


@admin.register(Item)
class ItemAdmin(AuditedModelAdmin):
    list_display = ("code", "title", "max_points", "chapter")
    list_filter = ("chapter__standard",)
    list_select_related = ("chapter",)


@admin.register(Criterion)
class CriterionAdmin(AuditedModelAdmin):
    """Criteria are data from the standard's file; only the ★ flag is edited here, audited."""

    list_display = ("code", "content", "max_points", "veto", "applies_to", "key_specialty_weight", "standard")
    list_filter = ("standard", "veto", "applies_to", "item__chapter__number")
    search_fields = ("code", "content", "text")
    list_editable = ("veto",)
    readonly_fields = (
        "standard",
        "item",
        "code",
        "position",
        "content",
        "text",
        "remark",
        "note",
        "max_points",
        "applies_to",
        "key_specialty_weight",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Criterion, form: Any, change: bool) -> None:
        services.criterion_set_veto(actor=signed_in(request.user), criterion=obj, veto=obj.veto, reason="admin")


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0
    can_delete = False
    fields = ("criterion", "rating", "score", "remark", "rated_by", "rated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rating]:
        return super().get_queryset(request).select_related("criterion", "rated_by")


@admin.register(Assessment)
class AssessmentAdmin(AuditedModelAdmin):
    """Assessments; a finalized one is read-only here as everywhere."""

    list_display = ("hospital", "year", "kind", "standard", "status", "submitted_at", "finalized_at")
    list_filter = ("status", "kind", "year", "hospital__level", "standard")
    search_fields = ("hospital__name",)
    list_select_related = ("hospital", "standard")
    readonly_fields = (
        "status",
        "created_by",
        "created_at",
        "submitted_by",
        "submitted_at",
        "finalized_by",
        "finalized_at",
    )
    inlines = [RatingInline]
    actions = ["submit_selected", "finalize_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        if obj is not None and obj.status == AssessmentStatus.FINALIZED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Assessment | None = None) -> bool:
        if obj is not None and obj.status != AssessmentStatus.DRAFT:
            return False
        return super().has_delete_permission(request, obj)

    def _run(self, request: HttpRequest, queryset: QuerySet[Assessment], service: Any, done: str) -> None:
        count = 0
        for assessment in queryset:
            try:
                service(actor=signed_in(request.user), assessment=assessment)
                count += 1
            except (AssessmentLocked, PermissionDenied) as exc:
                self.message_user(request, f"{assessment}: {exc}", messages.WARNING)
        if count:
            self.message_user(request, f"{done}: {count}", messages.SUCCESS)

    @admin.action(description=_("提交所选评审"))
    def submit_selected(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> None:
        self._run(request, queryset, services.assessment_submit, str(_("已提交")))

    @admin.action(description=_("定稿所选评审"))
    def finalize_selected(self, request: HttpRequest, queryset: QuerySet[Assessment]) -> None:
        self._run(request, queryset, services.assessment_finalize, str(_("已定稿")))


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    """Ratings are written in the app (rules and audit apply); the admin shows them."""

    list_display = ("assessment", "criterion", "rating", "score", "rated_by", "rated_at")
    list_filter = ("rating", "assessment__status", "assessment__year")
    list_select_related = ("assessment__hospital", "criterion", "rated_by")
    search_fields = ("criterion__code", "assessment__hospital__name")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CriterionReturn)
class CriterionReturnAdmin(AuditedModelAdmin):
    """Returns are made on the inspection page (audited); the admin shows them."""

    list_display = ("assessment", "criterion", "status", "returned_by", "returned_at", "answered_at")
    list_filter = ("status",)
    list_select_related = ("assessment__hospital", "criterion", "returned_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
