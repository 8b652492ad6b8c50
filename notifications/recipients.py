"""Who hears of what: the one place that turns an event into notices and the people they go to.

Every notice names an object and a page; a person gets it only if the scoping selectors of that
object's app (the same ones every page and the API use) let them open it, so nobody is told about
an object they could not open. The person who acted is not told of their own act.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from accounts.models import HOSPITAL_ROLES, InspectorAssignment, Role, User
from accounts.typing import AnyUser
from audit.models import AuditEvent
from evidence.models import Evidence
from evidence.selectors import evidence_visible_to
from rectification.models import RectificationItem
from rectification.selectors import rectification_items_visible_to
from reports.models import ReportJob
from reports.selectors import reports_visible_to
from rounds.models import InspectionRound, RoundHospital, RoundInspector
from scoring.models import Assessment, AssessmentKind, CriterionReturn
from scoring.selectors import assessments_visible_to

from .models import Kind

Visible = Callable[[AnyUser], QuerySet[Any]]


@dataclass(frozen=True)
class Notice:
    """One notification to write for each of `users` (those who may open the object behind it)."""

    kind: str
    params: dict[str, Any]
    link: str
    users: list[User]
    hospital_id: int | None = None
    # Several events, one notification per person: the first writes it, the others count up `params["count"]`.
    key: str = ""


def _people(qs: QuerySet[User], *, exclude: int | None = None) -> list[User]:
    users: dict[int, User] = {}
    for user in qs.filter(is_active=True).order_by("pk"):
        if user.pk != exclude:
            users[user.pk] = user
    return list(users.values())


def department(hospital_id: int, *, heads_only: bool = False) -> QuerySet[User]:
    """The hospital's department head (and staff)."""
    roles = [Role.DEPARTMENT_HEAD] if heads_only else list(HOSPITAL_ROLES)
    return User.objects.filter(hospital_id=hospital_id, role__in=roles)


def qc_admins() -> QuerySet[User]:
    """The QC centre's administrators (superusers act as one)."""
    return User.objects.filter(role=Role.QC_ADMIN) | User.objects.filter(is_superuser=True)


def team_of(assessment: Assessment, *, leads_only: bool = False) -> QuerySet[User]:
    """The round team of an assessment's hospital (its lead only, if asked); empty when it is in no round."""
    field_name = "entry__inspection" if assessment.kind == AssessmentKind.INSPECTION else "entry__self_assessment"
    seats = RoundInspector.objects.filter(**{field_name: assessment})
    if leads_only:
        seats = seats.filter(is_lead=True)
    return User.objects.filter(pk__in=seats.values("inspector_id"))


def assigned_inspectors(hospital_id: int) -> QuerySet[User]:
    """Inspectors who see the hospital (outside a round, they are the ones who review it)."""
    return User.objects.filter(
        role=Role.INSPECTOR, pk__in=InspectorAssignment.objects.filter(hospital_id=hospital_id).values("inspector_id")
    )


def who_may_open(users: Iterable[User], visible: Visible, pk: int) -> list[User]:
    """Those of `users` whose scope (`visible(user)`, the object's own selector) contains object `pk`."""
    return [user for user in users if visible(user).filter(pk=pk).exists()]


def _assessment_params(a: Assessment) -> dict[str, Any]:
    return {"hospital": a.hospital.name, "year": a.year, "assessment_kind": a.kind}


def assessment_link(a: Assessment, code: str = "") -> str:
    return reverse("assessment-detail", args=[a.pk]) + (f"#c-{code}" if code else "")


# --- events recorded in the audit trail -------------------------------------------------------------


def _round_hospital_added(event: AuditEvent) -> list[Notice]:
    entry = RoundHospital.objects.select_related("round", "hospital", "self_assessment").filter(pk=event.object_id)
    found = entry.first()
    if found is None or found.self_assessment is None:
        return []
    rnd = found.round
    users = _people(department(found.hospital_id), exclude=event.actor_id)
    return [
        Notice(
            kind=Kind.ROUND_OPENED,
            params={
                "round": str(rnd),
                "hospital": found.hospital.name,
                "due": rnd.self_assessment_deadline.isoformat(),
            },
            link=assessment_link(found.self_assessment),
            users=who_may_open(users, assessments_visible_to, found.self_assessment.pk),
            hospital_id=found.hospital_id,
        )
    ]


def _criterion_returned(event: AuditEvent) -> list[Notice]:
    ret = CriterionReturn.objects.select_related("assessment__hospital", "criterion").filter(pk=event.object_id).first()
    if ret is None:
        return []
    a = ret.assessment
    users = _people(department(a.hospital_id), exclude=event.actor_id)
    return [
        Notice(
            kind=Kind.CRITERION_RETURNED,
            params={**_assessment_params(a), "code": ret.criterion.code, "reason": ret.reason},
            link=assessment_link(a, ret.criterion.code),
            users=who_may_open(users, assessments_visible_to, a.pk),
            hospital_id=a.hospital_id,
        )
    ]


def _evidence_reviewed(event: AuditEvent) -> list[Notice]:
    if (event.after or {}).get("review_status") != "rejected":
        return []
    ev = Evidence.objects.select_related("assessment__hospital", "criterion").filter(pk=event.object_id).first()
    if ev is None:
        return []
    a = ev.assessment
    users = _people(department(a.hospital_id), exclude=event.actor_id)
    return [
        Notice(
            kind=Kind.EVIDENCE_REJECTED,
            params={
                **_assessment_params(a),
                "code": ev.criterion.code,
                "name": ev.original_name,
                "reason": ev.review_reason,
            },
            link=assessment_link(a, ev.criterion.code),
            users=who_may_open(users, evidence_visible_to, ev.pk),
            hospital_id=a.hospital_id,
        )
    ]


def _assessment(event: AuditEvent) -> Assessment | None:
    return Assessment.objects.select_related("hospital").filter(pk=event.object_id).first()


def _submitted(event: AuditEvent) -> list[Notice]:
    a = _assessment(event)
    if a is None:
        return []
    if a.kind == AssessmentKind.SELF:
        team = team_of(a)
        reviewers = team if team.exists() else assigned_inspectors(a.hospital_id)
        kind = Kind.SELF_SUBMITTED
        params = {**_assessment_params(a), "resubmitted": (event.before or {}).get("status") == "returned"}
    else:
        lead = team_of(a, leads_only=True)
        reviewers = lead if lead.exists() else qc_admins()
        kind, params = Kind.INSPECTION_SUBMITTED, _assessment_params(a)
    users = _people(reviewers, exclude=event.actor_id)
    return [
        Notice(
            kind=kind,
            params=params,
            link=assessment_link(a),
            users=who_may_open(users, assessments_visible_to, a.pk),
            hospital_id=a.hospital_id,
        )
    ]


def _finalized(event: AuditEvent) -> list[Notice]:
    a = _assessment(event)
    if a is None:
        return []
    result = a.final_result or {}
    candidates = [*department(a.hospital_id, heads_only=True), *team_of(a), *qc_admins()]
    users = _people(User.objects.filter(pk__in=[u.pk for u in candidates]), exclude=event.actor_id)
    return [
        Notice(
            kind=Kind.FINALIZED,
            params={**_assessment_params(a), "total": result.get("total", ""), "outcome": result.get("outcome", "")},
            link=reverse("assessment-result", args=[a.pk]),
            users=who_may_open(users, assessments_visible_to, a.pk),
            hospital_id=a.hospital_id,
        )
    ]


def _item(pk: str) -> RectificationItem | None:
    return RectificationItem.objects.select_related("assessment__hospital", "criterion", "owner").filter(pk=pk).first()


def _owner_and_heads(item: RectificationItem, *, exclude: int | None) -> list[User]:
    ids = set(department(item.assessment.hospital_id, heads_only=True).values_list("pk", flat=True))
    if item.owner_id:
        ids.add(item.owner_id)
    return _people(User.objects.filter(pk__in=ids), exclude=exclude)


def _rectification_created(event: AuditEvent) -> list[Notice]:
    item = _item(event.object_id)
    if item is None:
        return []
    a = item.assessment
    return [
        Notice(
            kind=Kind.RECTIFICATION_PLAN,
            params={"hospital": a.hospital.name, "year": a.year, "count": 1, "due": item.due_date.isoformat()},
            link=reverse("rectification-list") + f"?hospital={a.hospital_id}&year={a.year}",
            users=who_may_open(_owner_and_heads(item, exclude=event.actor_id), rectification_items_visible_to, item.pk),
            hospital_id=a.hospital_id,
            key=f"rectification_plan:{a.pk}",
        )
    ]


def _rectification_assigned(event: AuditEvent) -> list[Notice]:
    item = _item(event.object_id)
    if item is None:
        return []
    return [
        Notice(
            kind=Kind.RECTIFICATION_ASSIGNED,
            params={
                "hospital": item.assessment.hospital.name,
                "code": item.criterion.code,
                "owner": (item.owner.get_full_name() or item.owner.username) if item.owner else "—",
                "due": item.due_date.isoformat(),
            },
            link=reverse("rectification-detail", args=[item.pk]),
            users=who_may_open(_owner_and_heads(item, exclude=event.actor_id), rectification_items_visible_to, item.pk),
            hospital_id=item.assessment.hospital_id,
        )
    ]


def _report_finished(event: AuditEvent) -> list[Notice]:
    job = ReportJob.objects.select_related("requested_by", "assessment__hospital", "round").filter(pk=event.object_id)
    found = job.first()
    if found is None or found.parent_id is not None or found.requested_by is None:
        return []  # a bulk job's parts: the person hears of the whole
    ready = event.action == "report.ready"
    if found.assessment is not None:
        title = f"{found.assessment.hospital.name} {found.assessment.year} {found.get_kind_display()}"
    elif found.round is not None:
        title = f"{found.round} {found.get_kind_display()}"
    else:
        title = found.get_kind_display()
    return [
        Notice(
            kind=Kind.REPORT_READY if ready else Kind.REPORT_FAILED,
            params={"title": title, "error": found.error[:300]},
            link=reverse("report-detail", args=[found.pk]),
            users=who_may_open(_people(User.objects.filter(pk=found.requested_by.pk)), reports_visible_to, found.pk),
            hospital_id=found.assessment.hospital_id if found.assessment is not None else None,
        )
    ]


def _account_locked(event: AuditEvent) -> list[Notice]:
    return [
        Notice(
            kind=Kind.ACCOUNT_LOCKED,
            params={"username": event.object_repr},
            link=reverse("audit-log") + "?action=auth.locked_out",
            users=_people(qc_admins()),
        )
    ]


# The events someone hears of, by audit action; every other event costs one dictionary lookup.
HANDLERS: dict[str, Callable[[AuditEvent], list[Notice]]] = {
    "round.add_hospital": _round_hospital_added,
    "return.create": _criterion_returned,
    "evidence.review": _evidence_reviewed,
    "assessment.submit": _submitted,
    "assessment.finalize": _finalized,
    "rectification.create": _rectification_created,
    "rectification.assign": _rectification_assigned,
    "report.ready": _report_finished,
    "report.failed": _report_finished,
    "auth.locked_out": _account_locked,
}


def notices_for(event: AuditEvent) -> list[Notice]:
    """The notices an audit event gives rise to (none for most)."""
    handler = HANDLERS.get(event.action)
    return handler(event) if handler is not None else []


# --- deadlines (the daily beat) -----------------------------------------------------------------------


def rectification_due(item: RectificationItem, *, stage: str, days: int) -> Notice:
    """An open item due in a week, today, or overdue: its owner and the department head."""
    a = item.assessment
    return Notice(
        kind=Kind.RECTIFICATION_DUE,
        params={
            "stage": stage,
            "days": days,
            "code": item.criterion.code,
            "hospital": a.hospital.name,
            "due": item.due_date.isoformat(),
        },
        link=reverse("rectification-detail", args=[item.pk]),
        users=who_may_open(_owner_and_heads(item, exclude=None), rectification_items_visible_to, item.pk),
        hospital_id=a.hospital_id,
    )


def self_assessment_due(entry: RoundHospital, *, stage: str, days: int) -> Notice:
    """A round's self-assessment not yet submitted, due in a week, today, or overdue: the department."""
    rnd: InspectionRound = entry.round
    assert entry.self_assessment is not None
    return Notice(
        kind=Kind.SELF_DUE,
        params={
            "stage": stage,
            "days": days,
            "round": str(rnd),
            "hospital": entry.hospital.name,
            "due": rnd.self_assessment_deadline.isoformat(),
        },
        link=assessment_link(entry.self_assessment),
        users=who_may_open(_people(department(entry.hospital_id)), assessments_visible_to, entry.self_assessment.pk),
        hospital_id=entry.hospital_id,
    )


def inspection_due(entry: RoundHospital, *, stage: str, days: int) -> Notice:
    """A round's inspection window opening in a week or today: the hospital's team."""
    rnd: InspectionRound = entry.round
    assert entry.inspection is not None
    return Notice(
        kind=Kind.INSPECTION_DUE,
        params={
            "stage": stage,
            "days": days,
            "round": str(rnd),
            "hospital": entry.hospital.name,
            "start": rnd.inspection_start.isoformat(),
            "end": rnd.inspection_end.isoformat(),
        },
        link=assessment_link(entry.inspection),
        users=who_may_open(_people(team_of(entry.inspection)), assessments_visible_to, entry.inspection.pk),
        hospital_id=entry.hospital_id,
    )
