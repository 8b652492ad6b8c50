"""Writes of department profiles and rules: validated, in one transaction, audited."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Hospital, Role, User
from accounts.roles import is_department_member
from accounts.typing import AnyUser
from audit.services import audit_record, uploads_checked
from common.files import files_removed_on_failure, sha256_of
from common.params import year_in_range
from scoring.models import Criterion

from . import rules
from .facts import CATEGORICAL, FACTS, NUMERIC, fact
from .models import DepartmentProfile, DirectorTitle, ProfileDocument

MAX_COUNT = 10_000_000
AREA = re.compile(r"[0-9]{1,7}(?:\.[0-9])?")
# Facts that make no sense without the beds or tables they serve: (fact, needs, message).
_REQUIRES: tuple[tuple[str, tuple[str, ...], Any], ...] = (
    ("clinical_staff", ("or_tables", "non_or_tables"), gettext_lazy("有临床麻醉人员，但手术室内外麻醉台均为 0")),
    ("rr_doctors", ("rr_beds",), gettext_lazy("有 RR 医师，但 RR 床位为 0")),
    ("rr_nurses", ("rr_beds",), gettext_lazy("有 RR 护士，但 RR 床位为 0")),
    ("rr_monitors", ("rr_beds",), gettext_lazy("有 RR 监护仪，但 RR 床位为 0")),
    ("rr_ventilators", ("rr_beds",), gettext_lazy("有 RR 呼吸机，但 RR 床位为 0")),
    ("aicu_doctors", ("aicu_beds",), gettext_lazy("有 AICU 医师，但 AICU 床位为 0")),
    ("aicu_nurses", ("aicu_beds",), gettext_lazy("有 AICU 护士，但 AICU 床位为 0")),
    ("pain_ward_doctors", ("pain_ward_beds",), gettext_lazy("有疼痛病房医师，但疼痛病房床位为 0")),
    ("pain_ward_nurses", ("pain_ward_beds",), gettext_lazy("有疼痛病房护士，但疼痛病房床位为 0")),
    ("pain_ward_area_per_bed", ("pain_ward_beds",), gettext_lazy("填写了疼痛病房每床面积，但疼痛病房床位为 0")),
)


def can_edit_profile(user: AnyUser, hospital: Hospital) -> bool:
    """The hospital's department (head and staff) keeps its profile; the QC centre may correct it."""
    role = user.effective_role if isinstance(user, User) else None
    if role == Role.QC_ADMIN:
        return True
    return is_department_member(user, hospital.pk)


def can_edit_rules(user: AnyUser) -> bool:
    return isinstance(user, User) and user.effective_role == Role.QC_ADMIN


def _clean_value(name: str, raw: Any) -> tuple[Any, str | None]:
    """(value, error) for one submitted fact; "" and None mean not entered."""
    f = fact(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return (None if f.kind != "choice" else ""), None
    text = str(raw).strip()
    if f.kind == "count":
        # isdecimal, not isdigit: "²" is a digit but no number int() reads.
        if isinstance(raw, bool) or not text.isdecimal():
            return None, _("%(label)s应为不小于 0 的整数，而不是“%(v)s”。") % {"label": f.label, "v": text}
        digits = text.lstrip("0") or "0"
        if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
            return None, _("%(label)s不能超过 %(n)s。") % {"label": f.label, "n": MAX_COUNT}
        return int(digits), None
    if f.kind == "area":
        number = Decimal(text) if AREA.fullmatch(text) else Decimal("NaN")
        if isinstance(raw, bool) or not number.is_finite():
            return None, _("%(label)s应为不小于 0 的数，最多一位小数，而不是“%(v)s”。") % {"label": f.label, "v": text}
        return number, None
    if f.kind == "flag":
        flags = {"true": True, "1": True, "是": True, "yes": True, "false": False, "0": False, "否": False, "no": False}
        if isinstance(raw, bool):
            return raw, None
        if text.lower() not in flags:
            return None, _("%(label)s应为“是”或“否”。") % {"label": f.label}
        return flags[text.lower()], None
    if text not in DirectorTitle.values:
        return None, _("%(label)s“%(v)s”不是可选的职称。") % {"label": f.label, "v": text}
    return text, None


def _combination_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, needs, message in _REQUIRES:
        if values.get(name) and all(values.get(n) == 0 for n in needs):
            errors.setdefault(name, []).append(str(message))
    total, bachelor = values.get("doctors_total"), values.get("doctors_bachelor")
    if total is not None and bachelor is not None and bachelor > total:
        errors.setdefault("doctors_bachelor", []).append(
            _("本科及以上学历或持证医师（%(b)s 名）不能多于医师总数（%(t)s 名）。") % {"b": bachelor, "t": total}
        )
    return errors


def _snapshot(profile: DepartmentProfile) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FACTS:
        value = getattr(profile, name)
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


@transaction.atomic
def profile_save(*, actor: User, hospital: Hospital, year: int, data: Mapping[str, Any]) -> DepartmentProfile:
    """Create or update the hospital's profile for `year` with the facts in `data` (others unchanged).

    Every fact is checked (integers ≥ 0, areas ≥ 0 with one decimal, known titles) and so are impossible
    combinations (staff posted to beds that do not exist); errors are keyed by fact and nothing is saved.
    """
    if not can_edit_profile(actor, hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以填写科室概况。"))
    if not year_in_range(year):
        raise ValidationError({"year": [_("年度应在 2000–2100 之间。")]})
    unknown = sorted(set(data) - set(FACTS))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["non_field_errors"] = [_("未知的事项：%(names)s") % {"names": "、".join(unknown)}]
    profile = DepartmentProfile.objects.select_for_update().filter(
        hospital=hospital, year=year
    ).first() or DepartmentProfile(hospital=hospital, year=year)
    before = _snapshot(profile) if profile.pk else None
    values = {name: getattr(profile, name) for name in FACTS}
    for name in FACTS:
        if name not in data:
            continue
        value, error = _clean_value(name, data[name])
        if error:
            errors.setdefault(name, []).append(error)
        else:
            values[name] = value
    if not errors:
        errors = _combination_errors(values)
    if errors:
        raise ValidationError(errors)
    for name, value in values.items():
        setattr(profile, name, value)
    profile.updated_by = actor
    profile.save()
    after = _snapshot(profile)
    changed = {k: v for k, v in after.items() if before is None or before.get(k) != v}
    audit_record(
        actor=actor,
        action="profile.save",
        obj=profile,
        before={k: before[k] for k in changed} if before else None,
        after=changed,
    )
    return profile


def profile_document_upload(
    *, actor: User, profile: DepartmentProfile, fact_name: str, files: list[Any]
) -> list[ProfileDocument]:
    """Attach files (a staff roster, an asset list) to one fact of a profile; checked by content, audited."""
    if not can_edit_profile(actor, profile.hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以上传概况佐证材料。"))
    if fact_name not in FACTS:
        raise ValidationError({"fact": [_("请选择材料对应的事项。")]})
    if not files:
        raise ValidationError({"files": [_("请选择要上传的文件。")]})
    checked = uploads_checked(actor=actor, files=files, hospital=profile.hospital)
    digests = [sha256_of(c.upload) for c in checked]
    stored = []
    with files_removed_on_failure() as written, transaction.atomic():
        for c, digest in zip(checked, digests, strict=True):
            document = ProfileDocument(profile=profile, fact=fact_name)
            written.append(document.store(c, sha256=digest, uploaded_by=actor))
            document.save()
            audit_record(
                actor=actor,
                action="profile.document_upload",
                obj=document,
                after={"fact": fact_name, "name": c.name, "size": c.size, "sha256": digest},
            )
            stored.append(document)
    return stored


def profile_document_delete(*, actor: User, document: ProfileDocument) -> None:
    """Remove a profile document (and its file)."""
    if not can_edit_profile(actor, document.profile.hospital):
        raise PermissionDenied(_("只有本院科室人员或质控中心可以删除概况佐证材料。"))
    name = str(document.file.name)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="profile.document_delete",
            obj=document,
            before={"fact": document.fact, "name": document.original_name, "sha256": document.sha256},
        )
        document.delete()
    document.file.storage.delete(name)


@transaction.atomic
def rule_set(
    *,
    actor: User,
    criterion: Criterion,
    valid_from: int,
    rule: Any = None,
    note: str = "",
    reading: str = "",
    reason: str = "",
) -> Any:
    """Store (or replace) the rule of `criterion` from `valid_from` on; the QC centre only; audited.

    Either a `rule`, or the key of a `reading` of a criterion whose source is ambiguous (2.1-3-2): the rule
    then is that reading's, the readings carry over, and the choice is the QC centre's, so the mark
    "解读待质控中心确认" is cleared. Versioned like every rule: from `valid_from` on, earlier years keep theirs.
    """
    from .models import CriterionRule

    if not can_edit_rules(actor):
        raise PermissionDenied(_("只有质控中心管理员可以修改细则规则。"))
    if not isinstance(valid_from, int) or isinstance(valid_from, bool) or not year_in_range(valid_from):
        raise ValidationError({"valid_from": [_("起始年度应在 2000–2100 之间。")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("理由不能超过 500 个字符。")]})
    readings: dict[str, Any] = {}
    doubtful = False
    if reading:
        if rule is not None:
            raise ValidationError({"reading": [_("rule 与 reading 只能给出一个。")]})
        source = CriterionRule.objects.filter(criterion=criterion).exclude(readings={}).order_by("-valid_from").first()
        if source is None or reading not in source.readings:
            known = "、".join(source.readings) if source is not None else "—"
            raise ValidationError(
                {
                    "reading": [
                        _("细则 %(code)s 没有解读“%(reading)s”；可选：%(known)s")
                        % {"code": criterion.code, "reading": reading, "known": known}
                    ]
                }
            )
        readings, rule = source.readings, source.readings[reading]["rule"]
        note = note or source.note
    elif rule is None:
        raise ValidationError({"rule": [_("需要 rule 或 reading。")]})
    try:
        rules.validate(rule, NUMERIC, choices=CATEGORICAL)
    except rules.RuleError as exc:
        raise ValidationError({"rule": [str(exc)]}) from exc
    if len(note) > 255:
        raise ValidationError({"note": [_("说明不能超过 255 个字符。")]})
    existing = CriterionRule.objects.filter(criterion=criterion, valid_from=valid_from).first()
    before = (
        {"rule": existing.rule, "note": existing.note, "reading": existing.reading, "doubtful": existing.doubtful}
        if existing
        else None
    )
    obj, _created = CriterionRule.objects.update_or_create(
        criterion=criterion,
        valid_from=valid_from,
        defaults={
            "rule": rule,
            "note": note,
            "created_by": actor,
            "readings": readings,
            "reading": reading,
            "doubtful": doubtful,
        },
    )
    after = {"criterion": criterion.code, "valid_from": valid_from, "rule": rule, "note": note}
    if reading:
        after |= {"reading": reading, "doubtful": doubtful}
    audit_record(
        actor=actor, action="rule.set", obj=obj, before=before, after=after, criterion=criterion, reason=reason
    )
    return obj
