"""A department's yearly facts (tables, beds, staff, equipment, volumes) and the rules that judge them."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Hospital
from common.files import StoredFile
from scoring.models import Criterion


class DirectorTitle(models.TextChoices):
    """The head of department's professional title (科主任职称)."""

    CHIEF = "chief", _("主任医师")
    ASSOCIATE = "associate", _("副主任医师")
    ATTENDING = "attending", _("主治医师")
    OTHER = "other", _("其他")


def _count(label: Any, unit: Any) -> models.PositiveIntegerField:
    # null = not entered yet: a rule that needs it makes no suggestion, where 0 would be a real zero.
    # The unit (台/张/名/例/种) is kept as help_text; rules.py words shortfalls with it.
    return models.PositiveIntegerField(label, null=True, blank=True, help_text=unit)


def _area(label: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=8, decimal_places=1, null=True, blank=True, help_text=_("平方米"))


class DepartmentProfile(models.Model):
    """One year's facts of a hospital's anesthesia department, entered by the department.

    Every count may be left empty (not entered), which is different from 0. The rules of the standard
    (`CriterionRule`) are evaluated over these facts by `departments.rules.evaluate`.
    """

    hospital = models.ForeignKey(Hospital, on_delete=models.CASCADE, related_name="profiles")
    year = models.PositiveSmallIntegerField(_("年度"))

    # 场地、床位与工作量
    or_tables = _count(_("手术室内麻醉台"), _("台"))
    non_or_tables = _count(_("手术室外麻醉台"), _("台"))
    surgical_beds = _count(_("手术科室床位"), _("张"))
    operations_per_year = _count(_("年手术例次"), _("例"))
    rr_beds = _count(_("麻醉恢复室（RR）床位"), _("张"))
    aicu_beds = _count(_("AICU 床位"), _("张"))
    pain_clinic_area = _area(_("疼痛门诊建筑面积（平方米）"))
    pain_ward_beds = _count(_("疼痛病房床位"), _("张"))
    pain_ward_area_per_bed = _area(_("疼痛病房每床净使用面积（平方米）"))

    # 人员
    clinical_staff = _count(_("临床麻醉人员"), _("名"))
    rr_doctors = _count(_("RR 医师"), _("名"))
    rr_nurses = _count(_("RR 护士"), _("名"))
    aicu_doctors = _count(_("AICU 医师"), _("名"))
    aicu_nurses = _count(_("AICU 护士"), _("名"))
    pain_clinic_doctors = _count(_("疼痛门诊医师"), _("名"))
    pain_clinic_nurses = _count(_("疼痛门诊护士"), _("名"))
    pain_ward_doctors = _count(_("疼痛病房医师"), _("名"))
    pain_ward_nurses = _count(_("疼痛病房护士"), _("名"))
    doctors_total = _count(_("麻醉科医师总数"), _("名"))
    doctors_bachelor = _count(_("本科及以上学历或持执业医师资格证书的医师"), _("名"))
    director_title = models.CharField(_("科主任职称"), max_length=16, choices=DirectorTitle.choices, blank=True)
    director_certified = models.BooleanField(_("科主任持市卫生局备案的麻醉科主任培训合格证书"), null=True, blank=True)

    # 设备
    monitors = _count(_("多功能监护仪（手术台用）"), _("台"))
    anesthesia_machines = _count(_("多功能麻醉机"), _("台"))
    petco2_monitors = _count(_("PETCO2 监测仪"), _("台"))
    defibrillators = _count(_("除颤仪"), _("台"))
    rr_monitors = _count(_("RR 多功能监护仪"), _("台"))
    rr_ventilators = _count(_("RR 呼吸机"), _("台"))
    invasive_bp_monitors = _count(_("有创血压监测仪"), _("台"))
    hemodynamic_monitors = _count(_("血流动力学监测仪（含 CO、PAWP）"), _("台"))
    respiratory_monitors = _count(_("呼吸功能监测设备"), _("台"))
    blood_salvage_machines = _count(_("血液回收机"), _("台"))
    crrt_machines = _count(_("持续血液净化设备"), _("台"))
    fibreoptic_scopes = _count(_("纤维支气管镜"), _("台"))
    tee_machines = _count(_("经食道超声（TEE）设备"), _("台"))
    airway_device_types = _count(_("困难气道设备种类（喉罩、光棒、视频喉镜等）"), _("种"))

    # 年麻醉量
    general_anesthetics = _count(_("全身麻醉（例/年）"), _("例"))
    regional_anesthetics = _count(_("阻滞麻醉（椎管内及神经阻滞，例/年）"), _("例"))
    other_anesthetics = _count(_("其他麻醉（例/年）"), _("例"))

    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["hospital", "-year"]
        verbose_name = _("科室概况")
        verbose_name_plural = _("科室概况")
        constraints = [
            models.UniqueConstraint(fields=["hospital", "year"], name="one_profile_per_hospital_year"),
            models.CheckConstraint(name="profile_year_range", condition=Q(year__gte=2000, year__lte=2100)),
        ]

    def __str__(self) -> str:
        return f"{self.hospital} {self.year}"


def profile_document_upload_to(instance: ProfileDocument, filename: str) -> str:
    """`profiles/<profile_id>/<uuid4 hex><ext>`: the stored name never carries the user's file name."""
    return f"profiles/{instance.profile_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()}"


class ProfileDocument(StoredFile):
    """A file backing one fact of a profile, such as a staff roster or an asset list."""

    profile = models.ForeignKey(DepartmentProfile, on_delete=models.CASCADE, related_name="documents")
    fact = models.CharField(_("对应事项"), max_length=40)
    file = models.FileField(_("文件"), upload_to=profile_document_upload_to, max_length=255)

    class Meta:
        ordering = ["profile", "fact", "uploaded_at", "id"]
        verbose_name = _("概况佐证材料")
        verbose_name_plural = _("概况佐证材料")
        constraints = [models.CheckConstraint(name="profile_document_size_positive", condition=Q(size__gt=0))]


class CriterionRule(models.Model):
    """The rule that judges a criterion from a profile, from `valid_from` on (the latest applicable wins).

    `rule` is plain data in the language of `departments.rules` and is checked by `rules.validate` before it
    is stored. A year's evaluation uses, per criterion, the rule with the greatest `valid_from` ≤ that year.
    """

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="rules")
    valid_from = models.PositiveSmallIntegerField(_("起始年度"))
    rule = models.JSONField(_("规则"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    # Where the source is ambiguous (2.1-3-2 lost its ≥/≤ signs): the readings of it, {key: {"label": …,
    # "rule": …}}, the one `rule` follows, and the mark "解读待质控中心确认" until the QC centre confirms one.
    readings = models.JSONField(_("可选解读"), default=dict, blank=True)
    reading = models.CharField(_("采用的解读"), max_length=40, blank=True)
    doubtful = models.BooleanField(_("解读待质控中心确认"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["criterion", "-valid_from"]
        verbose_name = _("细则规则")
        verbose_name_plural = _("细则规则")
        constraints = [
            models.UniqueConstraint(fields=["criterion", "valid_from"], name="one_rule_per_criterion_year"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code} ≥{self.valid_from}"

    @property
    def reading_label(self) -> str:
        """The label of the reading in force, e.g. “≥8 张床”“≥14 张床”（现行解读）; empty without readings."""
        return str((self.readings.get(self.reading) or {}).get("label", "")) if self.reading else ""
