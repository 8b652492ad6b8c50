"""Quality-control indicators as data, and the counts departments report for them month by month."""

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
