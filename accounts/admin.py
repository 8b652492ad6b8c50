from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Hospital, InspectorAssignment, User


@admin.register(Hospital)
class HospitalAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "key_specialty", "teaching", "district")
    list_filter = ("level", "key_specialty", "teaching", "district")
    search_fields = ("name", "district")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "role", "hospital", "is_active", "is_superuser")
    list_filter = ("role", "is_active", "is_superuser", "hospital__level")
    list_select_related = ("hospital",)
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("角色"), {"fields": ("role", "hospital")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("角色"), {"fields": ("role", "hospital")}),
    )


@admin.register(InspectorAssignment)
class InspectorAssignmentAdmin(admin.ModelAdmin):
    list_display = ("inspector", "hospital", "created_at")
    list_filter = ("hospital__level",)
    list_select_related = ("inspector", "hospital")
    autocomplete_fields = ("hospital",)
