from django.contrib import admin

from audit.admin import AuditedModelAdmin

from .models import Indicator, IndicatorSet, PeriodValue


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ("code", "name", "unit", "direction", "target_comparator", "target_value")
    show_change_link = True


@admin.register(IndicatorSet)
class IndicatorSetAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "source")
    inlines = [IndicatorInline]


@admin.register(Indicator)
class IndicatorAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "indicator_set", "unit", "direction", "target_comparator", "target_value")
    list_filter = ("indicator_set", "unit", "direction")
    search_fields = ("code", "name")
    filter_horizontal = ("criteria",)


@admin.register(PeriodValue)
class PeriodValueAdmin(AuditedModelAdmin):
    """Counts are entered in the app (validated, audited); the admin shows them."""

    list_display = ("hospital", "indicator", "year", "month", "numerator", "denominator", "source", "entered_at")
    list_filter = ("year", "source", "indicator__indicator_set")
    list_select_related = ("hospital", "indicator")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
