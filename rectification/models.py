"""Rectification plans (整改): one item per shortfall of a finalized inspection, with follow-up evidence."""

import datetime
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.files import StoredFile
from scoring.models import Assessment, Criterion, RatingValue

# How long a department has to rectify, counted from the day the plan is drawn up.
DEFAULT_DUE_DAYS = 90


class ItemStatus(models.TextChoices):
    """open (the department must act) → answered (awaiting verification) → verified (closed)."""

    OPEN = "open", _("待整改")
    ANSWERED = "answered", _("待核验")
    VERIFIED = "verified", _("已销号")


# Only shortfalls become items: a criterion rated 达标 needs no rectification.
SHORTFALL_RATINGS = (RatingValue.PARTIAL, RatingValue.UNMET)


class RectificationItem(models.Model):
    """One 基本达标 or 未达标 criterion of a finalized inspection that the department must rectify."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("现场检查"), on_delete=models.CASCADE, related_name="rectification_items"
    )
    criterion = models.ForeignKey(Criterion, verbose_name=_("评分细则"), on_delete=models.PROTECT, related_name="+")
    # The rating as finalized, copied so the plan reads on its own.
    rating = models.CharField(_("评定"), max_length=8, choices=RatingValue.choices)
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectification_items",
    )
    due_date = models.DateField(_("整改期限"))
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    answer = models.TextField(_("整改情况"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("答复人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    # The latest verification decision: accepted (status verified) or sent back (status open, note required).
    verification_note = models.TextField(_("核验意见"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核验人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["assessment", "criterion__position"]
        verbose_name = _("整改项")
        verbose_name_plural = _("整改项")
        indexes = [models.Index(fields=["status", "due_date"], name="rectification_status_due")]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_rectification_per_criterion"),
            models.CheckConstraint(name="rectification_status_valid", condition=Q(status__in=ItemStatus.values)),
            models.CheckConstraint(
                name="rectification_rating_is_shortfall", condition=Q(rating__in=[r.value for r in SHORTFALL_RATINGS])
            ),
            models.CheckConstraint(name="rectification_score_non_negative", condition=Q(score__gte=0)),
            # Answered or verified means the department said what it did.
            models.CheckConstraint(
                name="rectification_answer_present", condition=Q(status=ItemStatus.OPEN) | ~Q(answer="")
            ),
            models.CheckConstraint(
                name="rectification_verified_has_verifier",
                condition=~Q(status=ItemStatus.VERIFIED) | Q(verified_at__isnull=False),
            ),
            # An item sent back after verification must say why.
            models.CheckConstraint(
                name="rectification_rejection_has_note",
                condition=~Q(status=ItemStatus.OPEN) | Q(verified_at__isnull=True) | ~Q(verification_note=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} · {self.criterion.code} · {self.get_status_display()}"

    @property
    def is_closed(self) -> bool:
        return self.status == ItemStatus.VERIFIED

    @property
    def is_overdue(self) -> bool:
        """Past its due date and not yet verified (closed)."""
        return self.status != ItemStatus.VERIFIED and self.due_date < timezone.localdate()

    @property
    def days_overdue(self) -> int:
        """Whole days past the due date (0 if not overdue)."""
        return (timezone.localdate() - self.due_date).days if self.is_overdue else 0

    @property
    def was_sent_back(self) -> bool:
        """Open again after an inspector refused the answer."""
        return self.status == ItemStatus.OPEN and self.verified_at is not None


def default_due_date(start: datetime.date | None = None) -> datetime.date:
    """The due date of a new item: DEFAULT_DUE_DAYS after `start` (today if not given)."""
    return (start or timezone.localdate()) + datetime.timedelta(days=DEFAULT_DUE_DAYS)


def rectification_upload_to(instance: "RectificationEvidence", filename: str) -> str:
    """`rectification/<item_id>/<uuid4 hex><ext>`: the stored name never carries the user's file name."""
    return f"rectification/{instance.item_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class RectificationEvidence(StoredFile):
    """One follow-up file the department uploaded with its answer to an item, with its checksum."""

    item = models.ForeignKey(
        RectificationItem, verbose_name=_("整改项"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=rectification_upload_to, max_length=255)

    class Meta:
        ordering = ["item", "uploaded_at", "id"]
        verbose_name = _("整改佐证材料")
        verbose_name_plural = _("整改佐证材料")
        constraints = [
            models.CheckConstraint(name="rectification_evidence_size_positive", condition=Q(size__gt=0)),
        ]
