"""Writes of monthly indicator counts: validated whole, all or nothing, audited."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Hospital, Role, User
from accounts.roles import is_department_member
from accounts.typing import AnyUser
from audit.services import audit_record
from common.params import MAX_INT, year_in_range

from .models import Indicator, PeriodValue, Unit

# Units whose numerator counts a subset of the denominator's cases.
SUBSET_UNITS = (Unit.PERCENT, Unit.PERMILLE)


def can_enter(user: AnyUser, hospital: Hospital) -> bool:
    """The hospital's department (head and staff) reports its counts; the QC centre may correct them."""
    role = user.effective_role if isinstance(user, User) else None
    if role == Role.QC_ADMIN:
        return True
    return is_department_member(user, hospital.pk)


def _count(value: Any, month: int, field: str, label: str, errors: dict[str, list[str]]) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        errors[f"months.{month}.{field}"] = [
            _("%(month)s 月%(label)s应为不小于 0 的整数。") % {"month": month, "label": label}
        ]
        return None
    text = str(value).strip()
    # isdecimal, not isdigit: "²" is a digit but no number int() reads.
    if not text.isdecimal():
        errors[f"months.{month}.{field}"] = [
            _("%(month)s 月%(label)s“%(value)s”不是不小于 0 的整数。") % {"month": month, "label": label, "value": text}
        ]
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_INT)) or int(digits) > MAX_INT:
        errors[f"months.{month}.{field}"] = [
            _("%(month)s 月%(label)s不能超过 %(max)s。") % {"month": month, "label": label, "max": MAX_INT}
        ]
        return None
    return int(digits)


@transaction.atomic
def period_values_set(
    *, actor: User, hospital: Hospital, indicator: Indicator, year: int, months: dict[Any, Any]
) -> list[PeriodValue]:
    """Set a year's monthly counts of one indicator: {month: {"numerator": n, "denominator": d} | None}.

    None (or both counts empty) removes the month (missing); zeros are stored as zeros.
    Every month is checked first; one error and nothing is stored. Errors are keyed
    `months.<m>.<field>` and name the month in their text.
    """
    if not can_enter(actor, hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以填报指标数据。"))
    errors: dict[str, list[str]] = {}
    if not year_in_range(year):
        errors["year"] = [_("年度应在 2000–2100 之间。")]
    clean: dict[int, tuple[int, int] | None] = {}
    for key, entry in months.items():
        try:
            month = int(key)
        except (TypeError, ValueError):
            errors[f"months.{key}"] = [_("“%(key)s”不是月份（1–12）。") % {"key": key}]
            continue
        if not 1 <= month <= 12:
            errors[f"months.{key}"] = [_("“%(key)s”不是月份（1–12）。") % {"key": key}]
            continue
        if entry is None or (
            isinstance(entry, dict) and entry.get("numerator") in (None, "") and entry.get("denominator") in (None, "")
        ):
            clean[month] = None
            continue
        if not isinstance(entry, dict):
            errors[f"months.{month}"] = [_("%(month)s 月应为 {numerator, denominator}。") % {"month": month}]
            continue
        numerator = _count(entry.get("numerator"), month, "numerator", _("分子"), errors)
        denominator = _count(entry.get("denominator"), month, "denominator", _("分母"), errors)
        if numerator is None or denominator is None:
            continue
        if indicator.unit in SUBSET_UNITS and numerator > denominator:
            errors[f"months.{month}.numerator"] = [
                _("%(month)s 月分子（%(n)s）不能大于分母（%(d)s）。")
                % {"month": month, "n": numerator, "d": denominator}
            ]
            continue
        clean[month] = (numerator, denominator)
    if errors:
        raise ValidationError(errors)

    existing = {
        v.month: v
        for v in PeriodValue.objects.select_for_update().filter(hospital=hospital, indicator=indicator, year=year)
    }
    for month, counts in sorted(clean.items()):
        current = existing.get(month)
        before = {"numerator": current.numerator, "denominator": current.denominator} if current else None
        if counts is None:
            if current is not None:
                audit_record(actor=actor, action="indicator.value", obj=current, before=before, after=None)
                current.delete()
            continue
        numerator, denominator = counts
        if current is not None and (current.numerator, current.denominator) == counts:
            continue
        value = current or PeriodValue(hospital=hospital, indicator=indicator, year=year, month=month)
        value.numerator, value.denominator, value.entered_by = numerator, denominator, actor
        value.source = PeriodValue.Source.ENTERED
        value.save()
        audit_record(
            actor=actor,
            action="indicator.value",
            obj=value,
            before=before,
            after={"numerator": numerator, "denominator": denominator},
        )
    return list(PeriodValue.objects.filter(hospital=hospital, indicator=indicator, year=year).order_by("month"))
