"""Writes of inspection rounds: create, add hospitals, assign inspectors. qc_admin only; audited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Hospital, InspectorAssignment, Role, User
from accounts.services import require_qc_admin
from audit.services import audit_record
from scoring.models import Assessment, AssessmentKind, Standard

from .models import InspectionRound, RoundHospital, RoundInspector


@transaction.atomic
def round_create(
    *,
    actor: User,
    name: str,
    year: int,
    standard: Standard,
    self_assessment_deadline: datetime.date,
    inspection_start: datetime.date,
    inspection_end: datetime.date,
) -> InspectionRound:
    """Open an inspection round (qc_admin only)."""
    require_qc_admin(actor)
    if inspection_start > inspection_end:
        raise ValidationError({"inspection_end": _("现场检查结束日期不能早于开始日期。")})
    if self_assessment_deadline > inspection_start:
        raise ValidationError({"self_assessment_deadline": _("自评截止日期应在现场检查开始之前。")})
    rnd = InspectionRound(
        name=name.strip(),
        year=year,
        standard=standard,
        self_assessment_deadline=self_assessment_deadline,
        inspection_start=inspection_start,
        inspection_end=inspection_end,
        created_by=actor,
    )
    rnd.full_clean(exclude=["created_by"])
    rnd.save()
    audit_record(
        actor=actor,
        action="round.create",
        obj=rnd,
        after={"name": rnd.name, "year": year, "standard": standard.code},
    )
    return rnd


def _assessment_for(*, hospital: Hospital, rnd: InspectionRound, kind: str, actor: User) -> Assessment:
    # One assessment per hospital, standard, kind and year: reuse one the department already opened.
    assessment, created = Assessment.objects.get_or_create(
        hospital=hospital,
        standard=rnd.standard,
        kind=kind,
        year=rnd.year,
        defaults={"created_by": actor},
    )
    if created:
        audit_record(
            actor=actor,
            action="assessment.create",
            obj=assessment,
            after={"hospital": hospital.pk, "standard": rnd.standard.code, "kind": kind, "year": rnd.year},
            assessment=assessment,
        )
    return assessment


@transaction.atomic
def round_add_hospital(*, actor: User, rnd: InspectionRound, hospital: Hospital) -> RoundHospital:
    """Add a hospital to a round, opening its self-assessment and its inspection."""
    require_qc_admin(actor)
    if RoundHospital.objects.filter(round=rnd, hospital=hospital).exists():
        raise ValidationError({"hospital": _("%(name)s 已在本轮次中。") % {"name": hospital.name}})
    entry = RoundHospital.objects.create(
        round=rnd,
        hospital=hospital,
        self_assessment=_assessment_for(hospital=hospital, rnd=rnd, kind=AssessmentKind.SELF, actor=actor),
        inspection=_assessment_for(hospital=hospital, rnd=rnd, kind=AssessmentKind.INSPECTION, actor=actor),
    )
    audit_record(actor=actor, action="round.add_hospital", obj=entry, after={"round": rnd.pk, "hospital": hospital.pk})
    return entry


@transaction.atomic
def round_assign_inspector(
    *, actor: User, entry: RoundHospital, inspector: User, is_lead: bool = False, chapters: list[int] | None = None
) -> RoundInspector:
    """Put an inspector on a hospital's team (the lead, or a member for some chapters); they then see it."""
    require_qc_admin(actor)
    if inspector.role != Role.INSPECTOR:
        raise ValidationError({"inspector": _("只能指派质控专家。")})
    valid = set(entry.round.standard.chapters.values_list("number", flat=True))
    chapters = sorted(set(chapters or []))
    if not set(chapters) <= valid:
        raise ValidationError({"chapters": _("章节应为 %(valid)s 中的编号。") % {"valid": sorted(valid)}})
    if is_lead:
        RoundInspector.objects.filter(entry=entry, is_lead=True).exclude(inspector=inspector).update(is_lead=False)
    member, _created = RoundInspector.objects.update_or_create(
        entry=entry, inspector=inspector, defaults={"is_lead": is_lead, "chapters": chapters}
    )
    # Round teams grant sight of the hospital through the one visibility rule (InspectorAssignment).
    InspectorAssignment.objects.get_or_create(inspector=inspector, hospital=entry.hospital)
    audit_record(
        actor=actor,
        action="round.assign_inspector",
        obj=member,
        after={"inspector": inspector.pk, "hospital": entry.hospital_id, "lead": is_lead, "chapters": chapters},
    )
    return member
