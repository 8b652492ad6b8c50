"""Writes of hospitals, users and assignments. Each validates, runs in a transaction and is audited."""

import time
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from audit.services import audit_record

from .lockout import account_unlock
from .models import HOSPITAL_ROLES, PRIVILEGED_ROLES, Hospital, InspectorAssignment, Role, SecurityPolicy, User
from .typing import AnyUser


def require_qc_admin(actor: AnyUser) -> None:
    """Only the QC centre administers hospitals, users and assignments."""
    if not (isinstance(actor, User) and actor.is_qc_admin):
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
    actor: User,
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
    actor: User,
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
def assignment_create(*, actor: User, inspector: User, hospital: Hospital) -> InspectorAssignment:
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
def assignment_delete(*, actor: User, assignment: InspectorAssignment) -> None:
    """Withdraw an inspector's sight of a hospital (qc_admin only)."""
    require_qc_admin(actor)
    audit_record(
        actor=actor,
        action="assignment.delete",
        obj=assignment,
        before={"inspector": assignment.inspector_id, "hospital": assignment.hospital_id},
    )
    assignment.delete()


def user_tokens_revoke(*, users: User | QuerySet[User]) -> int:
    """Delete the API tokens of these users (a user, or a queryset of users); returns how many were deleted.

    A token must be fetched again after a password change, enrolling an authenticator, or a policy
    that makes the second factor mandatory, so the new token is issued under the new rules.
    """
    if isinstance(users, User):
        return Token.objects.filter(user=users).delete()[0]
    return Token.objects.filter(user__in=users).delete()[0]


def user_sessions_end(*, user: User) -> int:
    """Sign the user out everywhere: delete their browser sessions and their API token. Returns the sessions ended.

    Called when an account is deactivated. An inactive account is refused at every request anyway
    (the authentication backend and the token check both ignore inactive users); this removes what
    is left behind, so nothing resumes if the account is activated again.
    """
    # Database sessions are stored encoded; a signed-in session names its user under SESSION_KEY.
    live = Session.objects.filter(expire_date__gt=timezone.now()).iterator()
    ended = [s.session_key for s in live if s.get_decoded().get(SESSION_KEY) == str(user.pk)]
    Session.objects.filter(session_key__in=ended).delete()
    user_tokens_revoke(users=user)
    return len(ended)


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Disable an account (qc_admin only) and end its sessions."""
    require_qc_admin(actor)
    if user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        audit_record(
            actor=actor, action="user.deactivate", obj=user, before={"is_active": True}, after={"is_active": False}
        )
    user_sessions_end(user=user)
    return user


@transaction.atomic
def security_policy_set(*, actor: User, second_factor_required: bool) -> SecurityPolicy:
    """Make the second factor mandatory for qc_admin and inspector accounts, or optional again (qc_admin only)."""
    require_qc_admin(actor)
    policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(pk=1)
    before = policy.second_factor_required
    policy.second_factor_required = second_factor_required
    policy.save()
    if second_factor_required and not before:
        # Tokens handed out without a second factor must not outlive the policy that now requires one.
        privileged = User.objects.filter(Q(role__in=PRIVILEGED_ROLES) | Q(is_superuser=True))
        user_tokens_revoke(users=privileged.exclude(totpdevice__confirmed=True))
    audit_record(
        actor=actor,
        action="security_policy.set",
        obj=policy,
        before={"second_factor_required": before},
        after={"second_factor_required": second_factor_required},
    )
    return policy


@transaction.atomic
def totp_device_enrol(*, user: User, key: str, token: str) -> TOTPDevice | None:
    """Bind an authenticator app: store its key if `token` is a current code for it, else store nothing.

    The key was generated for this enrolment and kept in the session until the user proves, with a
    code, that their app holds it. Returns the confirmed device, or None for a wrong code.
    """
    token = token.strip().replace(" ", "")
    device = TOTPDevice(user=user, name="TOTP", key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not token.isdigit() or not totp.verify(int(token), device.tolerance):
        return None
    device.last_t = totp.t()
    device.drift = totp.drift
    TOTPDevice.objects.filter(user=user).delete()
    device.save()
    user_tokens_revoke(users=user)  # a token issued without the second factor ends with the enrolment
    audit_record(actor=user, action="totp.enrol", obj=device, after={"device": device.persistent_id})
    return device


@transaction.atomic
def user_unlock(*, actor: User, user: User) -> int:
    """Lift a login lockout of the user from every address before it runs out (qc_admin only)."""
    require_qc_admin(actor)
    cleared = account_unlock(user.username)
    audit_record(actor=actor, action="user.unlock", obj=user, after={"attempts_cleared": cleared})
    return cleared


@transaction.atomic
def user_unlock_from_console(*, user: User) -> int:
    """Lift the lockouts of an account from the server's console (no qc_admin needed: the recovery path)."""
    cleared = account_unlock(user.username)
    audit_record(actor=None, action="user.unlock", obj=user, after={"attempts_cleared": cleared, "via": "console"})
    return cleared
