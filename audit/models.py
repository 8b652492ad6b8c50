"""The audit trail: one row per write or security event, never updated, deleted only by archiving."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Events about sign-ins and refused requests rather than changes to data; history pages leave them out.
SECURITY_PREFIXES = ("auth.", "access.", "upload.")  # sign-ins and refusals: no data changed


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Queries over the trail."""

    def changes(self) -> "AuditEventQuerySet":
        """Events that record a change to data (not sign-ins or refused requests)."""
        security = Q()
        for prefix in SECURITY_PREFIXES:
            security |= Q(action__startswith=prefix)
        return self.exclude(security)


class AuditEvent(models.Model):
    """One recorded change or security event: who did what to which object, from where, with before/after values."""

    # Set by the service, in UTC like every stored time; the database guard forbids changing it afterwards.
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    # No foreign-key constraint: deleting a user must not rewrite (SET NULL) or block on its audit rows;
    # `actor_username` keeps the name as it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(_("操作人用户名"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("对象"), max_length=255, blank=True)
    before = models.JSONField(_("修改前"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("修改后"), null=True, blank=True, encoder=DjangoJSONEncoder)
    reason = models.TextField(_("原因"), blank=True)
    # Where the change belongs, so history can be shown per assessment, per criterion and per hospital.
    assessment_id = models.BigIntegerField(_("评审"), null=True, blank=True, db_index=True)
    criterion_code = models.CharField(_("细则"), max_length=20, blank=True)
    hospital_id = models.BigIntegerField(_("医院"), null=True, blank=True, db_index=True)
    # Where it came from (empty for management commands and the shell).
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True, db_index=True)
    request_id = models.CharField(_("请求 ID"), max_length=64, blank=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["assessment_id", "criterion_code"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"


class AuditArchive(models.Model):
    """One run of `audit_archive`: which events went to which file, with the file's SHA-256.

    The database guard lets an audit row be deleted only when such a row covers it, so no event
    disappears without a trace of where it went. Archive rows are never changed or deleted.
    """

    created_at = models.DateTimeField(_("归档时间"), default=timezone.now)
    before = models.DateTimeField(_("归档此时间之前的记录"))
    max_event_id = models.BigIntegerField(_("最大记录 ID"))
    event_count = models.PositiveIntegerField(_("记录数"))
    file_name = models.CharField(_("归档文件"), max_length=500)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("审计归档")
        verbose_name_plural = _("审计归档")
        constraints = [
            models.CheckConstraint(name="audit_archive_sha256_hex", condition=Q(sha256__regex=r"^[0-9a-f]{64}$")),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.event_count})"
