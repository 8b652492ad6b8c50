"""Writes of hospitals, users and assignments. Each validates, runs in a transaction and is audited."""

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import audit_record

from .models import HOSPITAL_ROLES, Hospital, InspectorAssignment, Role, User


def require_qc_admin(actor: Any) -> None:
    """Only the QC centre administers hospitals, users and assignments."""
    if not getattr(actor, "is_qc_admin", False):
        raise PermissionDenied(_("只有质控中心管理员可以执行此操作。"))


def _hospital_snapshot(h: Hospital) -> dict[str, Any]:
    return {
        "name": h.name,
        "level": h.level,
        "key_specialty": h.key_specialty,
        "teaching": h.teaching,
        "district": h.district,
    }


@transaction.atomic
def hospital_create(
    *,
    actor: Any,
    name: str,
    level: str,
    key_specialty: bool = False,
    teaching: bool = False,
    district: str = "",
) -> Hospital:
    """Register a hospital (qc_admin only)."""
    require_qc_admin(actor)
    hospital = Hospital(
        name=name.strip(), level=level, key_specialty=key_specialty, teaching=teaching, district=district.strip()
    )
    hospital.full_clean()
    hospital.save()
    audit_record(actor=actor, action="hospital.create", obj=hospital, after=_hospital_snapshot(hospital))
    return hospital


@transaction.atomic
def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    role: str,
    hospital: Hospital | None = None,
    full_name: str = "",
) -> User:
    """Create a user with one role (qc_admin only); department roles need a hospital, others must not have one."""
    require_qc_admin(actor)
    if role not in Role.values:
        raise ValidationError({"role": _("“%(role)s”不是有效的角色。") % {"role": role}})
    if role in HOSPITAL_ROLES and hospital is None:
        raise ValidationError({"hospital": _("科主任和科室人员必须属于一家医院。")})
    if role not in HOSPITAL_ROLES and hospital is not None:
        raise ValidationError({"hospital": _("质控中心管理员和质控专家不属于某一家医院。")})
    user = User(username=username, role=role, hospital=hospital, first_name=full_name)
    # qc_admin works in the Django admin too; others never do.
    user.is_staff = role == Role.QC_ADMIN
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after={"username": user.username, "role": role, "hospital": hospital.pk if hospital else None},
    )
    return user


@transaction.atomic
def assignment_create(*, actor: Any, inspector: User, hospital: Hospital) -> InspectorAssignment:
    """Let an inspector see and inspect one hospital (qc_admin only)."""
    require_qc_admin(actor)
    if inspector.role != Role.INSPECTOR:
        raise ValidationError({"inspector": _("只能为质控专家分配医院。")})
    assignment, created = InspectorAssignment.objects.get_or_create(inspector=inspector, hospital=hospital)
    if created:
        audit_record(
            actor=actor,
            action="assignment.create",
            obj=assignment,
            after={"inspector": inspector.pk, "hospital": hospital.pk},
        )
    return assignment


@transaction.atomic
def assignment_delete(*, actor: Any, assignment: InspectorAssignment) -> None:
    """Withdraw an inspector's sight of a hospital (qc_admin only)."""
    require_qc_admin(actor)
    audit_record(
        actor=actor,
        action="assignment.delete",
        obj=assignment,
        before={"inspector": assignment.inspector_id, "hospital": assignment.hospital_id},
    )
    assignment.delete()
