"""Hospitals, users with exactly one role, and inspector assignments."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """Hospital levels, which select the grade threshold."""

    L3A = "3A", _("三级甲等")
    L3B = "3B", _("三级乙等")
    L2A = "2A", _("二级甲等")
    L2B = "2B", _("二级乙等")


class Role(models.TextChoices):
    """The one role a user holds."""

    QC_ADMIN = "qc_admin", _("质控中心管理员")
    INSPECTOR = "inspector", _("质控专家")
    DEPARTMENT_HEAD = "department_head", _("科主任")
    DEPARTMENT_STAFF = "department_staff", _("科室人员")


HOSPITAL_ROLES = (Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF)


class Hospital(models.Model):
    """A hospital whose anesthesia department is assessed."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    level = models.CharField(_("医院等级"), max_length=2, choices=Level.choices)
    key_specialty = models.BooleanField(_("市级临床重点专科"), default=False)
    teaching = models.BooleanField(_("医学院附属"), default=False)
    district = models.CharField(_("区县"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("医院")
        verbose_name_plural = _("医院")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person using anesqc. Superusers act as qc_admin whatever their role field says."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    hospital = models.ForeignKey(
        Hospital,
        verbose_name=_("所属医院"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            # Department people belong to exactly one hospital; the QC centre's do not.
            models.CheckConstraint(
                name="user_hospital_matches_role",
                condition=(
                    Q(role__in=[r.value for r in HOSPITAL_ROLES], hospital__isnull=False)
                    | (~Q(role__in=[r.value for r in HOSPITAL_ROLES]) & Q(hospital__isnull=True))
                ),
            ),
        ]

    @property
    def effective_role(self) -> str:
        """The role used for permission checks."""
        if self.is_superuser:
            return Role.QC_ADMIN
        return self.role

    @property
    def is_qc_admin(self) -> bool:
        return self.is_active and self.effective_role == Role.QC_ADMIN


class InspectorAssignment(models.Model):
    """Gives an inspector sight of one hospital (until inspection rounds take over)."""

    inspector = models.ForeignKey(
        User,
        verbose_name=_("质控专家"),
        on_delete=models.CASCADE,
        related_name="assignments",
        limit_choices_to={"role": Role.INSPECTOR},
    )
    hospital = models.ForeignKey(Hospital, verbose_name=_("医院"), on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("专家分配")
        verbose_name_plural = _("专家分配")
        constraints = [
            models.UniqueConstraint(fields=["inspector", "hospital"], name="unique_inspector_hospital"),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} → {self.hospital}"
