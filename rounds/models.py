"""An inspection round: which hospitals take part, who inspects them, and their two assessments."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital
from scoring.models import Assessment, Standard


class InspectionRound(models.Model):
    """A round of assessments run by the QC centre, e.g. 2026 年度麻醉质控检查."""

    name = models.CharField(_("名称"), max_length=200)
    year = models.PositiveSmallIntegerField(_("年度"))
    standard = models.ForeignKey(Standard, verbose_name=_("评价标准"), on_delete=models.PROTECT, related_name="rounds")
    self_assessment_deadline = models.DateField(_("自评截止日期"))
    inspection_start = models.DateField(_("现场检查开始日期"))
    inspection_end = models.DateField(_("现场检查结束日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-created_at"]
        verbose_name = _("检查轮次")
        verbose_name_plural = _("检查轮次")
        constraints = [
            models.UniqueConstraint(fields=["name", "year"], name="unique_round_name_year"),
            models.CheckConstraint(name="round_dates_in_order", condition=Q(inspection_start__lte=F("inspection_end"))),
            models.CheckConstraint(name="round_year_range", condition=Q(year__gte=2000, year__lte=2100)),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class RoundHospital(models.Model):
    """A hospital taking part in a round, with its self-assessment and its inspection."""

    round = models.ForeignKey(InspectionRound, on_delete=models.CASCADE, related_name="entries")
    hospital = models.ForeignKey(
        Hospital, verbose_name=_("医院"), on_delete=models.PROTECT, related_name="round_entries"
    )
    self_assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="round_as_self"
    )
    inspection = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="round_as_inspection"
    )

    class Meta:
        ordering = ["round", "hospital__name"]
        verbose_name = _("参检医院")
        verbose_name_plural = _("参检医院")
        constraints = [models.UniqueConstraint(fields=["round", "hospital"], name="unique_round_hospital")]

    def __str__(self) -> str:
        return f"{self.round} · {self.hospital}"


class RoundInspector(models.Model):
    """An inspector on a hospital's team in a round: the lead, or a member scoring some chapters."""

    entry = models.ForeignKey(RoundHospital, on_delete=models.CASCADE, related_name="team")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("质控专家"), on_delete=models.CASCADE, related_name="round_teams"
    )
    is_lead = models.BooleanField(_("组长"), default=False)
    # Chapter numbers this member scores; empty means every chapter.
    chapters = models.JSONField(_("负责章节"), default=list, blank=True)

    class Meta:
        ordering = ["entry", "-is_lead", "inspector__username"]
        verbose_name = _("检查组成员")
        verbose_name_plural = _("检查组成员")
        constraints = [
            models.UniqueConstraint(fields=["entry", "inspector"], name="unique_team_member"),
            models.UniqueConstraint(fields=["entry"], condition=Q(is_lead=True), name="one_lead_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} @ {self.entry}"
