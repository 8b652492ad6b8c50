from django.contrib import admin

from audit.admin import AuditedModelAdmin

from .models import InspectionRound, RoundHospital, RoundInspector


class RoundHospitalInline(admin.TabularInline):
    model = RoundHospital
    extra = 0
    raw_id_fields = ("self_assessment", "inspection")


@admin.register(InspectionRound)
class InspectionRoundAdmin(AuditedModelAdmin):
    list_display = ("name", "year", "standard", "self_assessment_deadline", "inspection_start", "inspection_end")
    list_filter = ("year", "standard")
    inlines = [RoundHospitalInline]


@admin.register(RoundInspector)
class RoundInspectorAdmin(AuditedModelAdmin):
    list_display = ("inspector", "entry", "is_lead", "chapters")
    list_select_related = ("inspector", "entry__hospital", "entry__round")
