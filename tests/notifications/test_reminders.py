"""Deadline reminders on a controlled clock (time-machine): due in 7 days, due today, overdue; each sent exactly
once across two beat runs and two workers racing on PostgreSQL, claimed by a unique row."""

import datetime
from functools import partial
from typing import Any

import pytest
import time_machine
from django.db import connection

from notifications import reminders, tasks
from notifications.models import Kind, Notification, ReminderClaim
from notifications.reminders import stage_on
from rectification.models import RectificationItem
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import AssessmentKind, Standard
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.notifications.conftest import inbox
from tests.scoring.factories import AssessmentFactory, rate_all
from tests.scoring.test_concurrency import in_threads
from workspace.services import assessment_finalize

DUE = datetime.date(2026, 6, 30)


def at(day: datetime.date) -> Any:
    """The clock at 07:30 Beijing time on `day`, when beat runs the scan."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 7, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))),
        tick=False,
    )


def test_the_rule_names_one_stage_a_day() -> None:
    assert stage_on(DUE - datetime.timedelta(days=7), DUE) == ("soon", 7)
    assert stage_on(DUE - datetime.timedelta(days=6), DUE) is None
    assert stage_on(DUE, DUE) == ("today", 0)
    assert stage_on(DUE + datetime.timedelta(days=1), DUE) == ("overdue", 1)
    assert stage_on(DUE + datetime.timedelta(days=2), DUE) is None
    assert stage_on(DUE + datetime.timedelta(days=8), DUE) == ("overdue", 8)


def open_item(cast: Cast) -> RectificationItem:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2026)
    rate_all(inspection)
    inspection.ratings.filter(criterion__code="1.2-1-1").update(rating="unmet", score=0)
    assessment_submit(actor=cast.inspector, assessment=inspection)
    assessment_finalize(actor=cast.inspector, assessment=inspection)
    item = RectificationItem.objects.get(assessment=inspection)
    RectificationItem.objects.filter(pk=item.pk).update(due_date=DUE)
    return item


def scan() -> dict[str, Any]:
    """One beat run: the task as a worker runs it."""
    return tasks.send_reminders.apply().get()


@pytest.mark.django_db
def test_an_items_reminders_go_a_week_before_on_the_day_and_when_overdue_each_once(cast: Cast) -> None:
    item = open_item(cast)
    seen: list[tuple[str, int]] = []
    for day in [DUE - datetime.timedelta(days=d) for d in (8, 7, 6, 1, 0)] + [
        DUE + datetime.timedelta(days=d) for d in (1, 2)
    ]:
        with at(day):
            first, second = scan(), scan()  # two beat runs the same day
        assert second["sent"] == 0, day
        for n in Notification.objects.filter(recipient=cast.head_a, kind=Kind.RECTIFICATION_DUE).order_by("pk")[
            len(seen) :
        ]:
            seen.append((n.params["stage"], n.params["days"]))
        assert first["sent"] in (0, 1)

    assert seen == [("soon", 7), ("today", 0), ("overdue", 1)]
    [soon, today, overdue] = inbox(cast.head_a, Kind.RECTIFICATION_DUE)[::-1]
    assert soon.link == f"/rectification/{item.pk}/"
    assert "2026-06-30" in soon.text and "7 天" in soon.text
    assert "今天" in today.text and "逾期 1 天" in overdue.text
    assert inbox(cast.head_b) == [] and inbox(cast.staff_a, Kind.RECTIFICATION_DUE) == []


@pytest.mark.django_db
def test_a_rounds_deadlines_remind_the_department_and_the_team(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=DUE,
        inspection_start=DUE + datetime.timedelta(days=10),
        inspection_end=DUE + datetime.timedelta(days=20),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=True)

    for day in (
        DUE - datetime.timedelta(days=7),
        DUE,
        DUE + datetime.timedelta(days=1),
        DUE + datetime.timedelta(days=3),
        DUE + datetime.timedelta(days=10),
    ):
        with at(day):
            scan()
            scan()

    stages = sorted(n.params["stage"] for n in inbox(cast.staff_a, Kind.SELF_DUE))
    assert stages == ["overdue", "soon", "today"]
    assert sorted(n.params["stage"] for n in inbox(cast.inspector, Kind.INSPECTION_DUE)) == ["soon", "today"]
    assert inbox(cast.head_b) == []


@pytest.mark.django_db
def test_a_submitted_self_assessment_is_not_reminded(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=DUE,
        inspection_start=DUE + datetime.timedelta(days=10),
        inspection_end=DUE + datetime.timedelta(days=20),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    assert entry.self_assessment is not None
    rate_all(entry.self_assessment)
    assessment_submit(actor=cast.head_a, assessment=entry.self_assessment)

    with at(DUE):
        scan()

    assert inbox(cast.head_a, Kind.SELF_DUE) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent sessions are PostgreSQL's")
def test_two_workers_racing_send_each_reminder_once(cast: Cast) -> None:
    open_item(cast)

    for day in (DUE - datetime.timedelta(days=7), DUE, DUE + datetime.timedelta(days=1)):
        with at(day):
            worker = partial(reminders.reminders_send, day=day)
            results = in_threads(worker, worker)
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert sorted(r.sent for r in results) == [0, 1], (day, results)

    assert ReminderClaim.objects.count() == 3
    assert sorted(n.params["stage"] for n in inbox(cast.head_a, Kind.RECTIFICATION_DUE)) == ["overdue", "soon", "today"]
