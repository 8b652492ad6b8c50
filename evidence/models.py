"""Evidence files attached to one criterion of one assessment, with the QC side's review of each."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.files import StoredFile
from scoring.models import Assessment, Criterion


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    """`evidence/<assessment_id>/<uuid4 hex><ext>`: the stored name never carries the user's file name."""
    return f"evidence/{instance.assessment_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ReviewStatus(models.TextChoices):
    """The QC side's verdict on one file."""

    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已认可")
    REJECTED = "rejected", _("已退回")


class Evidence(StoredFile):
    """One uploaded file supporting the rating of one criterion, with its checksum and review."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("评审"), on_delete=models.CASCADE, related_name="evidence"
    )
    criterion = models.ForeignKey(Criterion, verbose_name=_("评分细则"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), upload_to=evidence_upload_to, max_length=255)
    review_status = models.CharField(
        _("审核状态"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    review_reason = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    # Names an upload made in the browser (offline.js): the same upload sent again is stored once.
    client_key = models.UUIDField(_("客户端上传标识"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["assessment", "criterion__position", "uploaded_at", "id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        indexes = [models.Index(fields=["assessment", "criterion"], name="evidence_assessment_criterion")]
        constraints = [
            # A file sent back to the department must say why.
            models.CheckConstraint(
                name="evidence_rejection_has_reason",
                condition=~Q(review_status=ReviewStatus.REJECTED) | ~Q(review_reason=""),
            ),
            models.CheckConstraint(
                name="evidence_review_status_valid",
                condition=Q(review_status__in=ReviewStatus.values),
            ),
            models.UniqueConstraint(
                name="evidence_client_key_unique", fields=["assessment", "criterion", "client_key"]
            ),
        ]
