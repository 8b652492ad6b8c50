"""Hospitals, users with exactly one role, and inspector assignments."""

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
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
# Roles whose passwords expire and who may (or must) use a second factor.
PRIVILEGED_ROLES = (Role.QC_ADMIN, Role.INSPECTOR)


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
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True, editable=False)

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

    @property
    def is_privileged(self) -> bool:
        """qc_admin and inspector accounts (and superusers): their passwords expire, and they may use TOTP."""
        return self.effective_role in PRIVILEGED_ROLES

    def set_password(self, raw_password: str | None) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()

    def check_password(self, raw_password: str | None) -> bool:
        # Django re-hashes a correct password when the hasher's parameters change; that is not a
        # change of password, so it must not restart the password's age.
        def rehash(raw: str | None) -> None:
            self.password = make_password(raw)
            self._password = None
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, rehash)


class SecurityPolicy(models.Model):
    """The QC centre's security switches, one row (pk=1), edited by a qc_admin in the admin."""

    second_factor_required = models.BooleanField(
        _("强制两步验证"),
        default=False,
        help_text=_("开启后，质控中心管理员和质控专家登录时必须使用动态验证码（TOTP）；未绑定者登录后须先绑定。"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    class Meta:
        verbose_name = _("安全策略")
        verbose_name_plural = _("安全策略")
        constraints = [models.CheckConstraint(name="security_policy_single_row", condition=Q(pk=1))]

    def __str__(self) -> str:
        return str(_("安全策略"))


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
