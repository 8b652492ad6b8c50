"""The inbox (one row per notification and person), e-mail preferences, the outgoing mail queue, and the
claims that make each deadline reminder and each daily digest happen once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .texts import render


class Kind(models.TextChoices):
    """What a notification is about; its wording is in `texts.py`, rendered in the reader's language."""

    ROUND_OPENED = "round_opened", _("检查轮次开始")
    CRITERION_RETURNED = "criterion_returned", _("细则被退回")
    EVIDENCE_REJECTED = "evidence_rejected", _("佐证材料被退回")
    SELF_SUBMITTED = "self_submitted", _("自评已提交")
    INSPECTION_SUBMITTED = "inspection_submitted", _("现场检查已提交")
    FINALIZED = "finalized", _("评审已定稿")
    RECTIFICATION_PLAN = "rectification_plan", _("整改计划已生成")
    RECTIFICATION_ASSIGNED = "rectification_assigned", _("整改项已指派")
    RECTIFICATION_DUE = "rectification_due", _("整改期限提醒")
    SELF_DUE = "self_due", _("自评截止提醒")
    INSPECTION_DUE = "inspection_due", _("现场检查提醒")
    REPORT_READY = "report_ready", _("报告已生成")
    REPORT_FAILED = "report_failed", _("报告生成失败")
    ACCOUNT_LOCKED = "account_locked", _("账号被锁定")


class Notification(models.Model):
    """One thing one person should know, with the exact page it is about; unread until they open or mark it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    # Language-neutral values (names, codes, dates) the wording is filled with when it is shown.
    params = models.JSONField(_("内容参数"), default=dict, blank=True)
    link = models.CharField(_("链接"), max_length=500)
    hospital_id = models.BigIntegerField(_("医院"), null=True, blank=True)
    # Set when one notification stands for several events (a plan's items): the second event updates it.
    key = models.CharField(_("去重键"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    # When the person's daily digest (if they chose one) included it.
    digested_at = models.DateTimeField(_("摘要发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~Q(key=""), name="unique_notification_key_per_recipient"
            ),
            models.CheckConstraint(name="notification_kind_valid", condition=Q(kind__in=Kind.values)),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} · {self.kind} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def text(self) -> str:
        """The wording in the active language."""
        return render(self.kind, self.params)


class EmailChoice(models.TextChoices):
    """How a person wants to hear by e-mail."""

    EVERY = "every", _("每条通知都发邮件")
    DIGEST = "digest", _("每日摘要")
    NONE = "none", _("不发邮件")


class Preference(models.Model):
    """A person's choice of e-mail; without a row, every notification is mailed (if they have an address)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.CharField(_("邮件通知"), max_length=10, choices=EmailChoice.choices, default=EmailChoice.EVERY)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [models.CheckConstraint(name="preference_email_valid", condition=Q(email__in=EmailChoice.values))]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.email}"


class MailStatus(models.TextChoices):
    """pending (waiting or retrying) → sending (claimed by a worker) → sent; failed once attempts run out."""

    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class MailMessage(models.Model):
    """One e-mail to send, written in the transaction of what it reports, so a message is never lost:
    a worker claims it, sends it, and marks it sent; an SMTP failure leaves it pending for the next try."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A mail about one notification is written from it when sent (so it says what the inbox says);
    # a digest carries its text.
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="mails"
    )
    to = models.EmailField(_("收件地址"))
    subject = models.CharField(_("主题"), max_length=255, blank=True)
    body_text = models.TextField(_("纯文本正文"), blank=True)
    body_html = models.TextField(_("HTML 正文"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a pending mail is next due (after a failed attempt, with backoff); the sweep queues it then.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("邮件")
        verbose_name_plural = _("邮件")
        indexes = [models.Index(fields=["status", "created_at"], name="mail_status_created")]
        constraints = [models.CheckConstraint(name="mail_status_valid", condition=Q(status__in=MailStatus.values))]

    def __str__(self) -> str:
        return f"{self.to} · {self.subject}"


class ReminderClaim(models.Model):
    """A deadline reminder sent: one row per subject and day, so two beat runs or two workers send it once."""

    subject = models.CharField(_("提醒对象"), max_length=80)  # e.g. "rectification:12:due_soon"
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("提醒记录")
        verbose_name_plural = _("提醒记录")
        constraints = [models.UniqueConstraint(fields=["subject", "day"], name="unique_reminder_per_day")]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.day}"


class DigestClaim(models.Model):
    """One person's daily digest for one day, claimed before it is written so it goes out once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("每日摘要记录")
        verbose_name_plural = _("每日摘要记录")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="unique_digest_per_day")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.day}"
