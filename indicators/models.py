"""Quality-control indicators as data, and the counts departments report for them month by month."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital
from scoring.models import Criterion


class Unit(models.TextChoices):
    """How a rate is expressed."""

    PERCENT = "percent", "%"
    PERMILLE = "permille", "‰"
    RATIO = "ratio", _("比值")
    PER_10000 = "per_10000", _("每万人")


class Direction(models.TextChoices):
    """Which way is better."""

    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Comparator(models.TextChoices):
    """How a rate is compared with its target."""

    GE = "ge", "≥"
    LE = "le", "≤"
    EQ = "eq", "="


class TargetKind(models.TextChoices):
    """What an indicator's target is: a fixed value (≥93%), or a trend against the year before."""

    FIXED = "fixed", _("固定目标值")
    DECLINING = "declining", _("逐年下降")


class IndicatorSet(models.Model):
    """A family of indicators from one source document, e.g. the 2011 standard's appendix."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    source = models.CharField(_("来源文件"), max_length=300, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("指标集")
        verbose_name_plural = _("指标集")

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """One indicator: numerator over denominator, its unit, direction and target, and the criteria it feeds."""

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("代码"), max_length=80, unique=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    name = models.CharField(_("名称"), max_length=200)
    definition = models.TextField(_("定义"), blank=True)
    numerator_text = models.CharField(_("分子"), max_length=300)
    denominator_text = models.CharField(_("分母"), max_length=300)
    # Filters over case records that count the numerator and denominator; null: entered as counts only.
    numerator_cases = models.JSONField(_("分子病例条件"), null=True, blank=True)
    denominator_cases = models.JSONField(_("分母病例条件"), null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=12, choices=Unit.choices)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    target_comparator = models.CharField(_("目标比较"), max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(_("目标值"), max_digits=12, decimal_places=6, null=True, blank=True)
    # {"3A": {"comparator": "ge", "value": "0.3333"}, ...}: a level's own target, where the source sets one.
    level_targets = models.JSONField(_("分级目标"), default=dict, blank=True)
    min_denominator = models.PositiveIntegerField(_("最小分母"), default=30)
    # "declining": this year's pooled rate must be below last year's (the trend targets of seed 003).
    target_kind = models.CharField(_("目标类型"), max_length=12, choices=TargetKind.choices, default=TargetKind.FIXED)
    # Where the numerator, denominator and target come from: {"numerator": {"seed": "001"} | {"criterion":
    # "4.2-4-4"} | {"document": "…"}, "denominator": …, "target": …} (validated by definitions.validate).
    provenance = models.JSONField(_("出处"), default=dict, blank=True)
    criteria = models.ManyToManyField(Criterion, verbose_name=_("关联细则"), blank=True, related_name="indicators")

    class Meta:
        ordering = ["indicator_set", "position", "code"]
        verbose_name = _("质控指标")
        verbose_name_plural = _("质控指标")
        constraints = [
            # A target is a comparator and a value together, or neither.
            models.CheckConstraint(
                name="indicator_target_complete",
                condition=(Q(target_comparator="") & Q(target_value__isnull=True))
                | (~Q(target_comparator="") & Q(target_value__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PeriodValue(models.Model):
    """A hospital's counts for one indicator in one month; quarters and years are sums of months.

    A missing month has no row; an explicit zero is a row with zeros.
    """

    class Source(models.TextChoices):
        ENTERED = "entered", _("手工填报")
        CASES = "cases", _("病例导入")

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="indicator_values")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.PositiveSmallIntegerField(_("月份"))
    numerator = models.PositiveIntegerField(_("分子"))
    denominator = models.PositiveIntegerField(_("分母"))
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.ENTERED)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("填报时间"), auto_now=True)

    class Meta:
        ordering = ["hospital", "indicator", "year", "month"]
        verbose_name = _("月度数据")
        verbose_name_plural = _("月度数据")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "indicator", "year", "month"], name="unique_period_value"),
            models.CheckConstraint(name="period_month_range", condition=Q(month__gte=1, month__lte=12)),
            models.CheckConstraint(name="period_year_range", condition=Q(year__gte=2000, year__lte=2100)),
        ]
        indexes = [models.Index(fields=["indicator", "year", "month"])]

    def __str__(self) -> str:
        return (
            f"{self.hospital} {self.indicator.code} {self.year}-{self.month:02d}: {self.numerator}/{self.denominator}"
        )


class AnesthesiaType(models.TextChoices):
    """How a case was anaesthetised; an indicator's case filter names these codes (`definitions.ANESTHESIA_TYPES`)."""

    GENERAL = "general", _("全身麻醉")
    NEURAXIAL = "neuraxial", _("椎管内麻醉")
    EPIDURAL = "epidural", _("硬膜外麻醉")
    SPINAL = "spinal", _("腰麻")
    COMBINED = "combined_spinal_epidural", _("腰硬联合")
    NERVE_BLOCK = "nerve_block", _("神经阻滞")
    OTHER = "other", _("其他")


class Case(models.Model):
    """One anaesthesia case from a department's export; identified by hospital + the department's case_id.

    The identity rule is the primary key: a re-upload or an overlapping period updates a case, never adds it
    twice. The table is built for bulk COPY (see `indicators.cases`): no surrogate id and no index besides the
    key, and the link to the hospital is guarded by `indicators.db_guards` once per statement rather than by a
    per-row foreign-key check, which tripled the time of a 1,000,000-row import (bench/cases.py).
    """

    pk = models.CompositePrimaryKey("hospital", "case_id")
    hospital = models.ForeignKey(
        Hospital, on_delete=models.CASCADE, related_name="cases", db_constraint=False, db_index=False
    )
    case_id = models.CharField(_("病例号"), max_length=64)
    # Flags carry a database default too: a file may leave flag columns out, and COPY fills them from it.
    date = models.DateField(_("日期"))
    anesthesia_type = models.CharField(_("麻醉方式"), max_length=24, choices=AnesthesiaType.choices)
    asa = models.PositiveSmallIntegerField(_("ASA 分级"), null=True, blank=True)
    emergency = models.BooleanField(_("急诊"), default=False, db_default=False)
    block_failed = models.BooleanField(_("阻滞失败"), default=False, db_default=False)
    anesthesia_death = models.BooleanField(_("麻醉相关死亡"), default=False, db_default=False)
    post_spinal_headache = models.BooleanField(_("腰麻后头痛"), default=False, db_default=False)
    invasive_anesthesia_procedure = models.BooleanField(_("有创麻醉操作"), default=False, db_default=False)
    invasive_anesthesia_infection = models.BooleanField(_("有创麻醉操作部位感染"), default=False, db_default=False)
    invasive_monitoring_procedure = models.BooleanField(_("有创监测操作"), default=False, db_default=False)
    invasive_monitoring_infection = models.BooleanField(_("有创监测操作部位感染"), default=False, db_default=False)
    dural_puncture = models.BooleanField(_("硬脊膜穿破"), default=False, db_default=False)
    epidural_vessel_injury = models.BooleanField(_("硬膜外血管损伤"), default=False, db_default=False)
    neuro_complication = models.BooleanField(_("神经并发症"), default=False, db_default=False)
    paraplegia = models.BooleanField(_("截瘫"), default=False, db_default=False)
    labor_analgesia = models.BooleanField(_("分娩镇痛"), default=False, db_default=False)
    vaginal_delivery = models.BooleanField(_("经阴道分娩"), default=False, db_default=False)
    trial_of_labor_converted_to_caesarean = models.BooleanField(_("试产转剖宫产"), default=False, db_default=False)
    unplanned_return_to_or = models.BooleanField(_("非计划重返手术室"), default=False, db_default=False)
    hypothermia = models.BooleanField(_("低体温"), default=False, db_default=False)

    class Meta:
        ordering = ["hospital", "date", "case_id"]
        verbose_name = _("麻醉病例")
        verbose_name_plural = _("麻醉病例")
        constraints = [
            models.CheckConstraint(name="case_asa_range", condition=Q(asa__isnull=True) | Q(asa__gte=1, asa__lte=6)),
        ]

    def __str__(self) -> str:
        return f"{self.hospital_id}:{self.case_id}"


class CaseRollup(models.Model):
    """Cases counted by hospital, month and every case fact (type, ASA, flags): what the indicators aggregate.

    Refreshed by the case import for the hospital-months it touches (`indicators.cases.storing.rollup_refresh`), so
    aggregating every indicator reads one row per distinct combination instead of every case.
    """

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    n = models.PositiveIntegerField(_("病例数"))

    class Meta:
        verbose_name = _("病例汇总")
        verbose_name_plural = _("病例汇总")
        indexes = [models.Index(fields=["hospital", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.hospital_id}:{self.year}-{self.month:02d}×{self.n}"


# The case's yes/no facts, in the model's order: the one list of flags. The import's columns, the
# definitions' case filters, the rollup and the sample-file generator all read it from here.
CASE_FLAGS: tuple[str, ...] = tuple(f.name for f in Case._meta.local_fields if isinstance(f, models.BooleanField))
# The rollup's fact columns are exactly the case's: anesthesia type, ASA and every flag.
CASE_FACTS: tuple[str, ...] = ("anesthesia_type", "asa", *CASE_FLAGS)
for _name in CASE_FACTS:
    CaseRollup.add_to_class(_name, next(f for f in Case._meta.local_fields if f.name == _name).clone())


def case_import_path(job: "CaseImport", filename: str) -> str:
    """Where a queued upload waits for its import: `case-imports/<hospital>/<random UUID>.<csv|xlsx>`."""
    suffix = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    return f"case-imports/{job.hospital_id}/{uuid.uuid4().hex}.{suffix}"


class CaseImportStatus(models.TextChoices):
    """queued → running → imported, partial or rejected (the file's verdict), or failed (the job's)."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    IMPORTED = "imported", _("已导入")
    PARTIAL = "partial", _("部分导入")
    REJECTED = "rejected", _("已拒绝")
    FAILED = "failed", _("失败")


class CaseImport(models.Model):
    """One upload of a case file: who, what file, how many rows were imported or rejected, and the first errors.

    A small file is imported inside the upload request and its row saved once finished. A larger one is a
    job: the upload is stored (`file`, removed when the job ends), the row waits queued until a worker
    claims it (running, `attempts` counts the claims, `lease_until` is when a claim runs out) and
    imports it, writing `rows_read` and `bytes_read` as it goes; it ends imported, partial, rejected
    (the file's errors) or failed (`error`: the job itself could not finish).
    """

    Status = CaseImportStatus

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="case_imports")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    # What was asked: only the valid rows, and the language the messages are written in.
    partial = models.BooleanField(_("仅导入有效行"), default=False)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    # The stored upload of a queued or running job; empty once it has ended (the file is removed then).
    file = models.FileField(_("待导入文件"), upload_to=case_import_path, max_length=255, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    imported = models.PositiveIntegerField(_("导入行数"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝行数"), default=0)
    status = models.CharField(
        _("状态"), max_length=8, choices=CaseImportStatus.choices, default=CaseImportStatus.QUEUED
    )
    # [{"row": 3, "column": "asa", "reason": "..."}], at most the first 1000.
    errors = models.JSONField(_("错误"), default=list, blank=True)
    # Progress of a running job, written while its import runs (PostgreSQL); the totals once it has ended.
    rows_read = models.PositiveIntegerField(_("已读取行数"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("已读取字节数"), default=0)
    # Why a job failed (not the file's errors, which are `errors`).
    error = models.TextField(_("失败原因"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    worker = models.CharField(_("执行者"), max_length=200, blank=True)
    lease_until = models.DateTimeField(_("占用至"), null=True, blank=True)
    created = models.DateTimeField(_("上传时间"), auto_now_add=True)
    queued = models.DateTimeField(_("入队时间"), null=True, blank=True)
    started = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("病例导入")
        verbose_name_plural = _("病例导入")
        indexes = [models.Index(fields=["status", "queued"], name="caseimport_status_queued")]
        constraints = [
            models.CheckConstraint(name="caseimport_status_valid", condition=Q(status__in=CaseImportStatus.values)),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in CASE_IMPORT_FINISHED

    @property
    def percent(self) -> int:
        """How far a running job has read its file, 0–100 (by bytes: rows are not known before the end)."""
        if self.is_finished:
            return 100
        return min(99, self.bytes_read * 100 // self.size) if self.size else 0


CASE_IMPORT_FINISHED = (
    CaseImportStatus.IMPORTED,
    CaseImportStatus.PARTIAL,
    CaseImportStatus.REJECTED,
    CaseImportStatus.FAILED,
)
