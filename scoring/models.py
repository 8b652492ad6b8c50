"""The standard as versioned data (standard → chapter → item → criterion), assessments and ratings."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital, Level


class Standard(models.Model):
    """One version of a scoring standard, e.g. `cq2011`."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    title = models.CharField(_("名称"), max_length=200)
    issuer = models.CharField(_("发布机构"), max_length=200, blank=True)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    issued_on = models.DateField(_("发布日期"), null=True, blank=True)
    total_points = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    # Changes whenever a chapter, item, criterion or threshold of any standard changes (a database trigger,
    # scoring/db_guards.py), so what is derived from the standard can be cached under (id, revision).
    revision = models.BigIntegerField(_("修订号"), default=0, editable=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("评价标准")
        verbose_name_plural = _("评价标准")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class GradeThreshold(models.Model):
    """The points a hospital of one level needs to pass under a standard."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="thresholds")
    level = models.CharField(_("医院等级"), max_length=2, choices=Level.choices)
    points = models.DecimalField(_("达标分"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["-points"]
        verbose_name = _("达标分数线")
        verbose_name_plural = _("达标分数线")
        constraints = [
            models.UniqueConstraint(fields=["standard", "level"], name="unique_threshold_level"),
        ]

    def __str__(self) -> str:
        return f"{self.standard.code} {self.level} {self.points}"


class Chapter(models.Model):
    """A chapter (一级指标) of a standard, e.g. 组织结构与功能, 180 points."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="chapters")
    number = models.PositiveSmallIntegerField(_("章"))
    title = models.CharField(_("名称"), max_length=100)
    max_points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["standard", "number"]
        verbose_name = _("章")
        verbose_name_plural = _("章")
        constraints = [
            models.UniqueConstraint(fields=["standard", "number"], name="unique_chapter_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Item(models.Model):
    """An item (项目) within a chapter, e.g. 1.2 临床麻醉, 65 points."""

    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("代码"), max_length=20)
    position = models.PositiveSmallIntegerField(_("顺序"))
    title = models.CharField(_("名称"), max_length=100)
    max_points = models.DecimalField(_("分值"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["chapter", "position"]
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        constraints = [
            models.UniqueConstraint(fields=["chapter", "code"], name="unique_item_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AppliesTo(models.TextChoices):
    """Which departments a criterion applies to."""

    ALL = "all", _("全部科室")
    KEY_SPECIALTY = "key_specialty", _("仅重点专科")


class Criterion(models.Model):
    """A scored leaf of the standard, with its canonical code, wording, points and veto flag."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="criteria")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("代码"), max_length=20)
    position = models.PositiveSmallIntegerField(_("顺序"))
    content = models.CharField(_("评价内容"), max_length=200, blank=True)
    text = models.TextField(_("评价标准与细则"))
    remark = models.TextField(_("备注"), blank=True)
    note = models.TextField(_("说明"), blank=True, help_text=_("层级相关的规则与比较符号"))
    max_points = models.DecimalField(
        _("分值"), validators=[MinValueValidator(Decimal("0.5"))], max_digits=7, decimal_places=2
    )
    veto = models.BooleanField(_("单项否决（★）"), default=False)
    applies_to = models.CharField(_("适用范围"), max_length=20, choices=AppliesTo.choices, default=AppliesTo.ALL)
    key_specialty_weight = models.DecimalField(_("重点专科权重"), max_digits=4, decimal_places=2, default=Decimal("1"))
    # Hospital levels the criterion does not apply to (e.g. 2.2-1, defined only for 三级医院): excluded from the
    # applicable count and the maximum there, thresholds unchanged. Default none; a qc_admin switches it.
    not_applicable_levels = models.JSONField(_("不适用的医院等级"), default=list, blank=True)

    class Meta:
        ordering = ["standard", "position"]
        verbose_name = _("评分细则")
        verbose_name_plural = _("评分细则")
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="unique_criterion_code"),
            models.CheckConstraint(name="criterion_points_positive", condition=Q(max_points__gt=0)),
            models.CheckConstraint(
                name="criterion_weight_range",
                condition=Q(key_specialty_weight__gt=0, key_specialty_weight__lte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.content or self.text[:30]}"


class AssessmentKind(models.TextChoices):
    """Self-assessment by the department, or inspection by the QC centre."""

    SELF = "self", _("自评")
    INSPECTION = "inspection", _("现场检查")


class AssessmentStatus(models.TextChoices):
    """draft → submitted → finalized; a submitted self-assessment may be returned in part and resubmitted."""

    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("部分退回")
    FINALIZED = "finalized", _("已定稿")


class Assessment(models.Model):
    """One scoring of one hospital against one standard, by the department or by inspectors."""

    hospital = models.ForeignKey(Hospital, verbose_name=_("医院"), on_delete=models.PROTECT, related_name="assessments")
    standard = models.ForeignKey(
        Standard, verbose_name=_("评价标准"), on_delete=models.PROTECT, related_name="assessments"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=AssessmentKind.choices)
    year = models.PositiveSmallIntegerField(_("年度"))
    status = models.CharField(
        _("状态"), max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finalized_at = models.DateTimeField(null=True, blank=True)
    # The result as it stood at finalization: later edits to the standard's flags
    # (a qc_admin may change ★ items) must not rewrite a closed assessment.
    final_result = models.JSONField(_("定稿结果"), null=True, blank=True, editable=False)
    # A new number whenever any of its ratings changes, in the same transaction, whatever path writes
    # (database triggers, scoring/db_guards.py); never goes back. A computed result is cached under it.
    ratings_revision = models.BigIntegerField(_("评分修订号"), default=0, editable=False)

    class Meta:
        ordering = ["-year", "hospital__name", "kind"]
        verbose_name = _("评审")
        verbose_name_plural = _("评审")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "standard", "kind", "year"], name="unique_assessment_per_year"),
            models.CheckConstraint(name="assessment_year_range", condition=Q(year__gte=2000, year__lte=2100)),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.year} {self.get_kind_display()}"

    @property
    def is_finalized(self) -> bool:
        return self.status == AssessmentStatus.FINALIZED


class RatingValue(models.TextChoices):
    """达标 / 基本达标 / 未达标."""

    MET = "met", _("达标")
    PARTIAL = "partial", _("基本达标")
    UNMET = "unmet", _("未达标")


class Rating(models.Model):
    """The rating of one criterion within one assessment, with its unweighted score."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="ratings")
    rating = models.CharField(_("评定"), max_length=8, choices=RatingValue.choices)
    score = models.DecimalField(_("得分"), max_digits=7, decimal_places=2)
    remark = models.TextField(_("备注"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rated_at = models.DateTimeField(_("评定时间"), auto_now=True)
    # Bumped on every save: a writer who loaded version n may only save over version n,
    # so two people rating the same criterion never overwrite each other silently.
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        ordering = ["assessment", "criterion__position"]
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "criterion"], name="unique_rating_per_criterion"),
            models.CheckConstraint(name="rating_score_non_negative", condition=Q(score__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.get_rating_display()} {self.score}"


class ReturnStatus(models.TextChoices):
    """open (the department must answer) → answered (resubmitted)."""

    OPEN = "open", _("待修改")
    ANSWERED = "answered", _("已答复")


class CriterionReturn(models.Model):
    """A criterion of a submitted self-assessment sent back to the department, with the reason.

    While a return is open, the department may change that criterion (rating, remark,
    evidence) and nothing else; resubmitting answers every open return.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="returns")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("退回原因"))
    status = models.CharField(_("状态"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.OPEN)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(_("退回时间"), auto_now_add=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        ordering = ["assessment", "-returned_at"]
        verbose_name = _("退回")
        verbose_name_plural = _("退回")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "criterion"],
                condition=Q(status="open"),
                name="one_open_return_per_criterion",
            ),
            models.CheckConstraint(name="return_has_reason", condition=~Q(reason="")),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.criterion.code} · {self.get_status_display()}"
