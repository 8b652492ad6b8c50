from django.contrib import admin

from .models import InspectionRound, RoundHospital, RoundInspector


class RoundHospitalInline(admin.TabularInline):
    model = RoundHospital
    extra = 0
    raw_id_fields = ("self_assessment", "inspection")


@admin.register(InspectionRound)
class InspectionRoundAdmin(admin.ModelAdmin):
    list_display = ("name", "year", "standard", "self_assessment_deadline", "inspection_start", "inspection_end")
    list_filter = ("year", "standard")
    inlines = [RoundHospitalInline]


@admin.register(RoundInspector)
class RoundInspectorAdmin(admin.ModelAdmin):
    list_display = ("inspector", "entry", "is_lead", "chapters")
    list_select_related = ("inspector", "entry__hospital", "entry__round")
