from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import AuditedAdminMixin, AuditedModelAdmin

from . import services
from .models import Hospital, InspectorAssignment, SecurityPolicy, User
from .typing import signed_in


@admin.register(Hospital)
class HospitalAdmin(AuditedModelAdmin):
    list_display = ("name", "level", "key_specialty", "teaching", "district")
    list_filter = ("level", "key_specialty", "teaching", "district")
    search_fields = ("name", "district")


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
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
    readonly_fields = ("password_changed_at",)
    actions = ("unlock", "deactivate")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        return (*fieldsets, (_("安全"), {"fields": ("password_changed_at",)}))

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # A disabled account keeps no session and no API token.
            services.user_sessions_end(user=obj)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """The admin's password form; a password set here ends the user's API token, as on the password page."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                services.user_tokens_revoke(users=user)
        return response

    @admin.action(description=_("解除所选用户的登录锁定"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_unlock(actor=signed_in(request.user), user=user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("已解除 %d 个用户的登录锁定。", "已解除 %d 个用户的登录锁定。", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("停用所选用户并结束其会话"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.user_deactivate(actor=signed_in(request.user), user=user)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("已停用 %d 个用户并结束其会话。", "已停用 %d 个用户并结束其会话。", count) % count,
            messages.SUCCESS,
        )


@admin.register(InspectorAssignment)
class InspectorAssignmentAdmin(AuditedModelAdmin):
    list_display = ("inspector", "hospital", "created_at")
    list_filter = ("hospital__level",)
    list_select_related = ("inspector", "hospital")
    autocomplete_fields = ("hospital",)


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(AuditedModelAdmin):
    """The one row of security switches: changed, never added or deleted."""

    list_display = ("__str__", "second_factor_required", "updated_at")

    def save_model(self, request: HttpRequest, obj: SecurityPolicy, form: Any, change: bool) -> None:
        # Through the service, like every other write: it checks the actor and writes the one audit record.
        if change and not form.has_changed():
            return
        policy = services.security_policy_set(
            actor=signed_in(request.user), second_factor_required=form.cleaned_data["second_factor_required"]
        )
        obj.pk, obj.updated_at = policy.pk, policy.updated_at

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SecurityPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
