"""The daily deadline scan: which reminders are due on a given day (pure rule), and sending them once.

Deadlines are data of the rounds and the plans: a round's self-assessment deadline and inspection
window (`rounds.InspectionRound`), each rectification item's due date. On each day the rule below
names at most one reminder per subject; `services.reminder_deliver` claims (subject, day) before
it writes, so however many beat runs or workers run the scan, each reminder goes out once.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Q

from rectification.models import ItemStatus, RectificationItem
from rounds.models import RoundHospital
from scoring.models import AssessmentStatus

from . import recipients, services

SOON_DAYS = 7
# Overdue reminders repeat weekly (the day after the deadline, then every OVERDUE_EVERY days), not daily.
OVERDUE_EVERY = 7


def stage_on(day: datetime.date, deadline: datetime.date) -> tuple[str, int] | None:
    """("soon", 7) a week before, ("today", 0) on the day, ("overdue", n) the day after and weekly; else None."""
    left = (deadline - day).days
    if left == SOON_DAYS:
        return "soon", left
    if left == 0:
        return "today", 0
    if left < 0 and (-left) % OVERDUE_EVERY == 1:
        return "overdue", -left
    return None


@dataclass(frozen=True)
class ScanResult:
    """How many reminders this run sent, and how many were sent already by another run."""

    sent: int
    already: int


def reminders_send(*, day: datetime.date) -> ScanResult:
    """Send the day's reminders: rectification items, self-assessments of rounds, inspection windows."""
    sent = already = 0

    def deliver(subject: str, notice: recipients.Notice) -> None:
        nonlocal sent, already
        if services.reminder_deliver(subject=subject, day=day, notice=notice):
            sent += 1
        else:
            already += 1

    items = RectificationItem.objects.filter(
        status=ItemStatus.OPEN,
        due_date__gte=day - datetime.timedelta(days=366),
        due_date__lte=day + datetime.timedelta(days=SOON_DAYS),
    ).select_related("assessment__hospital", "criterion", "owner")
    for item in items.order_by("pk"):
        stage = stage_on(day, item.due_date)
        if stage is not None:
            deliver(
                f"rectification:{item.pk}:{stage[0]}", recipients.rectification_due(item, stage=stage[0], days=stage[1])
            )

    week, month = datetime.timedelta(days=SOON_DAYS), datetime.timedelta(days=31)
    entries = RoundHospital.objects.filter(
        Q(round__self_assessment_deadline__range=(day - month, day + week))
        | Q(round__inspection_start__range=(day, day + week))
    ).select_related("round", "hospital", "self_assessment", "inspection")
    for entry in entries.order_by("pk"):
        rnd = entry.round
        self_a = entry.self_assessment
        if self_a is not None and self_a.status in (AssessmentStatus.DRAFT, AssessmentStatus.RETURNED):
            stage = stage_on(day, rnd.self_assessment_deadline)
            if stage is not None and not (stage[0] == "overdue" and stage[1] > 30):
                deliver(
                    f"self:{entry.pk}:{stage[0]}", recipients.self_assessment_due(entry, stage=stage[0], days=stage[1])
                )
        inspection = entry.inspection
        if inspection is not None and inspection.status == AssessmentStatus.DRAFT:
            stage = stage_on(day, rnd.inspection_start)
            if stage is not None and stage[0] != "overdue":
                deliver(
                    f"inspection:{entry.pk}:{stage[0]}", recipients.inspection_due(entry, stage=stage[0], days=stage[1])
                )
    return ScanResult(sent=sent, already=already)
