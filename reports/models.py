"""Report jobs: the database row is the source of truth for one requested report and its file."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rounds.models import InspectionRound
from scoring.models import Assessment


class ReportKind(models.TextChoices):
    """What a job renders: one assessment, a round's summary, or every report of a round as a ZIP."""

    ASSESSMENT = "assessment", _("评审报告")
    ROUND_SUMMARY = "round_summary", _("轮次汇总报告")
    ROUND_BULK = "round_bulk", _("轮次全部报告（ZIP）")


ROUND_KINDS = (ReportKind.ROUND_SUMMARY, ReportKind.ROUND_BULK)


class JobStatus(models.TextChoices):
    """pending → running → done, or failed; a running job whose lease ran out may be claimed again."""

    PENDING = "pending", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


class ReportJob(models.Model):
    """One requested report: its target, who asked, its progress, and once done its file and checksums.

    `sha256` is the checksum of the file as stored (it cannot be printed inside the file);
    `content_sha256` is the checksum of the report's content data (canonical JSON), which the
    PDF prints on its last page, so a printed copy can be traced back to this row.
    """

    kind = models.CharField(_("类型"), max_length=16, choices=ReportKind.choices)
    assessment = models.ForeignKey(
        Assessment,
        verbose_name=_("评审"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_jobs",
    )
    round = models.ForeignKey(
        InspectionRound,
        verbose_name=_("检查轮次"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="report_jobs",
    )
    # A child of a round's bulk request; the parent's ZIP is assembled once every child has finished.
    parent = models.ForeignKey(
        "self", verbose_name=_("批量任务"), null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    status = models.CharField(_("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    error = models.TextField(_("错误"), blank=True)
    file = models.FileField(_("文件"), upload_to="reports/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64, blank=True, db_index=True)
    content_sha256 = models.CharField(_("内容 SHA-256"), max_length=64, blank=True, db_index=True)
    # How many times a worker claimed the job, which worker holds it, and until when its claim stands.
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    worker = models.CharField(_("执行者"), max_length=200, blank=True)
    lease_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("报告")
        verbose_name_plural = _("报告")
        indexes = [models.Index(fields=["status", "queued_at"], name="reportjob_status_queued")]
        constraints = [
            models.CheckConstraint(name="reportjob_status_valid", condition=Q(status__in=JobStatus.values)),
            models.CheckConstraint(name="reportjob_progress_range", condition=Q(progress__gte=0, progress__lte=100)),
            # The target matches the kind: an assessment report names its assessment, a round report its round.
            models.CheckConstraint(
                name="reportjob_target_matches_kind",
                condition=(
                    Q(kind=ReportKind.ASSESSMENT, assessment__isnull=False)
                    | Q(kind__in=[k.value for k in ROUND_KINDS], round__isnull=False, assessment__isnull=True)
                ),
            ),
            # A finished report has its file and checksums.
            models.CheckConstraint(
                name="reportjob_done_has_file",
                condition=~Q(status=JobStatus.DONE) | (~Q(file="") & ~Q(sha256="") & ~Q(content_sha256="")),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def download_name(self) -> str:
        """The file name offered on download, e.g. `报告-12-甲医院-2026-现场检查.pdf`."""
        if self.kind == ReportKind.ASSESSMENT and self.assessment is not None:
            a = self.assessment
            name = f"报告-{self.pk}-{a.hospital.name}-{a.year}-{a.get_kind_display()}.pdf"
        elif self.round is not None:
            suffix = "zip" if self.kind == ReportKind.ROUND_BULK else "pdf"
            name = f"报告-{self.pk}-{self.round.year}-{self.round.name}-{self.get_kind_display()}.{suffix}"
        else:
            name = f"报告-{self.pk}.pdf"
        # Hospital and round names are typed by people: keep characters file systems refuse out of the name.
        return "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 0x20 else ch for ch in name)
