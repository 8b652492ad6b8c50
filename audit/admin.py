"""The audit trail in the admin (read-only), and the mixin that audits every write made through the admin.

Admin writes bypass the apps' services, so a ModelAdmin that can add, change or delete anything
uses `AuditedAdminMixin` (or `AuditedModelAdmin`): each add and change is recorded with the
fields the form changed, old and new; each delete with the row as it was; inline rows and
bulk deletes alike. Any other admin write that Django logs (the user admin's password form)
is recorded from Django's own admin log call. tests/audit/test_completeness.py fails if a
model admin that writes is not audited.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.contrib import admin
from django.db import models, router, transaction
from django.db.models.fields.files import FieldFile
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest

from . import context
from .models import AuditArchive, AuditEvent
from .services import audit_record

# Values of these fields are never written to the trail, only that they changed: passwords,
# an API token's key, a second factor's secret.
CHANGED = "***"


def _secret(name: str) -> bool:
    name = name.lower()
    return name == "key" or any(marker in name for marker in ("password", "secret", "token"))


def plain(value: Any) -> Any:
    """A form or model value as JSON: related objects by id, files by name, collections element-wise."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, FieldFile):
        return value.name or ""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, models.QuerySet | list | tuple | set | frozenset):
        return [plain(v) for v in value]
    # Dates, times and decimals are written by the field's JSON encoder (DjangoJSONEncoder); the rest as text.
    if value is None or isinstance(value, str | int | float | bool | Decimal | datetime.date | datetime.time):
        return value
    return str(value)


def row_snapshot(obj: models.Model) -> dict[str, Any]:
    """Every concrete field of a row (secrets masked), as JSON."""
    return {
        field.attname: CHANGED if _secret(field.name) else plain(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
    }


def form_changes(form: ModelForm, *, change: bool) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(before, after) of the fields the form changed (every field it filled, for an addition)."""
    names = form.changed_data if change else [n for n in form.cleaned_data if n != "DELETE"]
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in names:
        if _secret(name):
            before[name], after[name] = (CHANGED if change else None), CHANGED
            continue
        if change:
            before[name] = plain(form.initial.get(name))
        after[name] = plain(form.cleaned_data.get(name))
    return (before if change else None), after


class AuditedAdminMixin:
    """Audit every add, change and delete made through this model admin (inlines and bulk deletes included)."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before, after = form_changes(form, change=change)
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if change and not before and not after:
            return  # saved unchanged: nothing to record
        audit_record(
            actor=request.user, action="admin.change" if change else "admin.add", obj=obj, before=before, after=after
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(actor=request.user, action="admin.delete", obj=obj, before=row_snapshot(obj))
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The changelist's "delete selected" runs outside a transaction: keep the records and the deletion together.
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            for obj in queryset:
                audit_record(actor=request.user, action="admin.delete", obj=obj, before=row_snapshot(obj))
            super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: BaseFormSet, change: bool) -> None:
        deleted = [
            (f.instance, row_snapshot(f.instance))
            for f in getattr(formset, "deleted_forms", [])
            if getattr(f.instance, "pk", None) is not None
        ]
        changes = {
            id(f.instance): form_changes(f, change=f.instance.pk is not None)
            for f in formset.forms
            if f.has_changed() and f not in getattr(formset, "deleted_forms", [])
        }
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in getattr(formset, "new_objects", []):
            _, after = changes.get(id(obj), (None, {}))
            audit_record(actor=request.user, action="admin.add", obj=obj, after=after)
        for obj, _fields in getattr(formset, "changed_objects", []):
            before, after = changes.get(id(obj), ({}, {}))
            audit_record(actor=request.user, action="admin.change", obj=obj, before=before, after=after)
        for obj, snapshot in deleted:
            audit_record(
                actor=request.user,
                action="admin.delete",
                object_type=obj._meta.label_lower,
                object_id=str(snapshot.get(obj._meta.pk.attname, "")),
                object_repr=str(obj),
                before=snapshot,
            )

    # Django calls these for every admin write. Writes the methods above did not see (the user
    # admin's password form, a subclass's own save_model) are recorded here from the admin's message.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _ensure_recorded(request, obj, "admin.add", message)
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        _ensure_recorded(request, obj, "admin.change", message)
        return super().log_change(request, obj, message)  # type: ignore[misc]


def _ensure_recorded(request: HttpRequest, obj: Any, action: str, message: Any) -> None:
    request_id = context.current().request_id
    already = (
        request_id
        and AuditEvent.objects.filter(
            request_id=request_id, object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).exists()
    )
    if not already and message:  # an empty message: saved with nothing changed
        audit_record(actor=request.user, action=action, obj=obj, after={"admin_message": plain(message)})


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A ModelAdmin whose writes are audited."""


# Admins of other packages that write rights or credentials: groups (permissions), API tokens,
# lockouts (deleting an attempt unlocks an account), second-factor devices.
THIRD_PARTY_ADMINS = (
    "auth.Group",
    "authtoken.TokenProxy",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "otp_totp.TOTPDevice",
    "otp_static.StaticDevice",
)


class _MissingDevice404:
    """django-otp's TOTP device admin answers 500 (DoesNotExist) for a device id that does not exist: 404."""

    def config_view(self, request: HttpRequest, pk: Any) -> Any:
        self._exists(pk)
        return super().config_view(request, pk)  # type: ignore[misc]

    def qrcode_view(self, request: HttpRequest, pk: Any) -> Any:
        self._exists(pk)
        return super().qrcode_view(request, pk)  # type: ignore[misc]

    def _exists(self, pk: Any) -> None:
        from django.http import Http404

        model = self.model  # type: ignore[attr-defined]
        if not model.objects.filter(pk=pk).exists():
            raise Http404


def reregister_audited(labels: Iterable[str], site: admin.AdminSite = admin.site) -> None:
    """Replace the registered admin of each model (a third-party one) by an audited subclass of it."""
    for label in labels:
        try:
            model = django_apps.get_model(label)
        except LookupError:
            continue  # that package is not installed
        current = site._registry.get(model)
        if current is None or isinstance(current, AuditedAdminMixin):
            continue
        mixins: tuple[type, ...] = (AuditedAdminMixin,)
        if label == "otp_totp.TOTPDevice":
            mixins += (_MissingDevice404,)
        audited = type(f"Audited{type(current).__name__}", (*mixins, type(current)), {"__module__": __name__})
        site.unregister(model)
        site.register(model, audited)


def audit_third_party_admins() -> None:
    """Audit the admin writes of THIRD_PARTY_ADMINS (from AuditConfig.ready(), after the admin's autodiscovery)."""
    reregister_audited(THIRD_PARTY_ADMINS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse only: the trail is written by the services and never edited."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only browsing of the audit trail (the QC centre's page is /audit/)."""

    list_display = ("created_at", "actor_username", "action", "object_type", "object_id", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("object_id", "object_repr", "actor_username", "request_id", "ip")


@admin.register(AuditArchive)
class AuditArchiveAdmin(ReadOnlyAdmin):
    """The archive runs: which events went to which file."""

    list_display = ("created_at", "before", "event_count", "max_event_id", "file_name", "sha256")
