"""Concurrent writers, with real threads on PostgreSQL, each thread on its own database connection.

- Two people save the same rating over the same version: exactly one wins, the other gets 409 with
  the winner's value, and no update is lost (the version column, checked under the assessment's row lock).
- A rating save racing submission and finalization lands before them or is refused, never after;
  the finalized snapshot is always the stored ratings.
- The database guard on ratings (scoring/db_guards.py) waits for a finalization in progress, so a
  write that bypasses the services cannot commit after it either. (The guard's other cases, every
  path refused once finalized, are in test_finalized_guard.py.)

Threads are started together at a barrier; orderings that matter are forced by pausing one thread
inside its transaction and by waiting until PostgreSQL reports the other blocked on a lock, so the
tests never depend on timing. WAIT only bounds how long a broken test may hang.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, connections, transaction
from rest_framework.response import Response

from audit.models import AuditEvent
from scoring import engine, services
from scoring.errors import AssessmentLocked
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.selectors import assessment_result
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace import services as workspace_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrent sessions are PostgreSQL's"),
]
WAIT = 60  # seconds: an upper bound for a hung test on a loaded machine, never a measurement
CODE = "1.1-1-2"  # a criterion worth 20 points that applies to every hospital


def in_threads(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in a thread of its own, released together; their results (or exceptions), in order.

    Each thread gets its own database connection from Django, and closes it when done.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=WAIT)
            results[index] = call()
        except BaseException as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "a thread hung"
    return results


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def wait_until_blocked(pid: dict[str, int], name: str, done: threading.Event) -> None:
    """Return once the named thread's session waits for a lock; fail if it finishes (or hangs) instead."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if done.is_set():
            pytest.fail(f"{name} finished without waiting for the lock held by the other transaction")
        if name in pid:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid[name]])
                row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
        time.sleep(0.01)
    pytest.fail(f"{name} never blocked")


class Pause:
    """Stops the thread that records `action` (after writing it, inside its transaction) until released."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.reached = threading.Event()
        self.release = threading.Event()

    def around(self, record: Callable[..., Any]) -> Callable[..., Any]:
        def paused(**kwargs: Any) -> Any:
            result = record(**kwargs)
            if kwargs["action"] == self.action and not self.reached.is_set():
                self.reached.set()
                assert self.release.wait(WAIT)
            return result

        return paused


@contextmanager
def thread(target: Callable[[], Any], results: dict[str, Any], name: str) -> Iterator[threading.Event]:
    """Run target in a thread (closing its connection after); yield an event set when it is done; join at exit."""
    done = threading.Event()

    def run() -> None:
        try:
            results[name] = target()
        except BaseException as exc:
            results[name] = exc
        finally:
            connections.close_all()
            done.set()

    worker = threading.Thread(target=run)
    worker.start()
    try:
        yield done
    finally:
        worker.join(timeout=WAIT)
        assert not worker.is_alive(), f"{name} hung"


# Two people, one rating ---------------------------------------------------------------------------


def test_of_100_pairs_saving_the_same_rating_exactly_one_wins_each_and_no_update_is_lost(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)  # a key specialty: every criterion applies
    codes = list(
        Criterion.objects.filter(standard=assessment.standard).order_by("position").values_list("code", flat=True)[:50]
    )
    clients = {"head_a": cast.client("head_a"), "staff_a": cast.client("staff_a")}
    winners: dict[tuple[str, int], dict[str, Any]] = {}
    # Round 0: both create the rating (version 0, unrated); round 1: both change it over version 1.
    for version in (0, 1):
        for code in codes:
            url = f"/api/v1/assessments/{assessment.pk}/ratings/{code}/"
            bodies = {
                "head_a": {"rating": "met", "remark": f"head_a v{version}", "version": version},
                "staff_a": {"rating": "unmet", "remark": f"staff_a v{version}", "version": version},
            }
            names = list(bodies)
            answers: list[Response] = in_threads(
                *(lambda n=n, url=url, bodies=bodies: clients[n].put(url, bodies[n], format="json") for n in names)
            )
            by_status = {answer.status_code: (name, answer) for name, answer in zip(names, answers, strict=True)}
            assert sorted(by_status) == [200, 409], [a.status_code for a in answers]
            winner, won = by_status[200]
            _, lost = by_status[409]
            stored = won.json()
            assert stored["version"] == version + 1 and stored["remark"] == f"{winner} v{version}"
            conflict = lost.json()
            assert conflict["code"] == "rating_conflict"
            assert conflict["current"] == {
                "rating": stored["rating"],
                "score": stored["score"],
                "remark": stored["remark"],
                "rated_by": winner,
                "version": version + 1,
            }
            winners[(code, version)] = stored
    # 0 lost updates: every criterion holds its last winner's value at version 2, and each winner of
    # round 1 wrote over round 0's winner, whose value its audit record shows as "before".
    ratings = {r.criterion.code: r for r in Rating.objects.filter(assessment=assessment).select_related("criterion")}
    assert len(ratings) == len(codes) == 50
    events = AuditEvent.objects.filter(assessment_id=assessment.pk, action="rating.set")
    assert events.count() == 100  # one per winner, none for a loser
    for code in codes:
        rating = ratings[code]
        assert (rating.version, rating.remark) == (2, winners[(code, 1)]["remark"])
        first, second = events.filter(criterion_code=code).order_by("id")
        assert first.before is None and first.after["remark"] == winners[(code, 0)]["remark"]
        assert second.before["remark"] == winners[(code, 0)]["remark"]
        assert second.after["remark"] == winners[(code, 1)]["remark"]


# A save racing the finalization ------------------------------------------------------------------


def inspection(cast: Cast, year: int = 2026) -> Assessment:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=year)
    rate_all(assessment)  # every criterion met, so it may be finalized
    return assessment


def assert_snapshot_is_what_is_stored(assessment: Assessment) -> None:
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINALIZED
    assert assessment.final_result == engine.result_as_dict(assessment_result(assessment))


def test_a_save_racing_submission_and_finalization_lands_before_or_is_refused(cast: Cast) -> None:
    lead, inspector = cast.client("qc_admin"), cast.client("inspector")
    outcomes: Counter[str] = Counter()
    for attempt in range(10):
        assessment = inspection(cast, year=2000 + attempt)
        base = f"/api/v1/assessments/{assessment.pk}"

        def close(base: str = base) -> tuple[int, int]:
            return lead.post(f"{base}/submit/").status_code, lead.post(f"{base}/finalize/").status_code

        def save(base: str = base) -> int:
            body = {"rating": "unmet", "remark": "现场核查：未达标"}
            return inspector.put(f"{base}/ratings/{CODE}/", body, format="json").status_code

        closed, saved = in_threads(close, save)
        assert closed == (200, 200)
        assert_snapshot_is_what_is_stored(assessment)
        rating = Rating.objects.get(assessment=assessment, criterion__code=CODE)
        events = AuditEvent.objects.filter(assessment_id=assessment.pk)
        if saved == 200:
            assert rating.rating == "unmet"
            [saved_at] = events.filter(action="rating.set").values_list("id", flat=True)
            assert saved_at < events.get(action="assessment.submit").pk
            outcomes["landed before"] += 1
        else:
            assert saved == 409 and rating.rating == "met"
            outcomes["refused"] += 1
    assert sum(outcomes.values()) == 10, outcomes


def test_a_save_holding_the_assessment_is_waited_for_and_counted_in_the_final_result(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment = inspection(cast)
    criterion = Criterion.objects.get(standard=assessment.standard, code=CODE)
    all_met = assessment_result(assessment).total
    pause = Pause("rating.set")
    monkeypatch.setattr(services, "audit_record", pause.around(services.audit_record))
    results: dict[str, Any] = {}
    pids: dict[str, int] = {}

    def save() -> Rating:
        return workspace_services.rating_save(
            actor=cast.inspector, assessment=assessment, criterion=criterion, rating="unmet", remark="未达标"
        )

    def close() -> Assessment:
        pids["close"] = backend_pid()
        submitted = services.assessment_submit(actor=cast.qc_admin, assessment=assessment)
        return workspace_services.assessment_finalize(actor=cast.qc_admin, assessment=submitted)

    with thread(save, results, "save"):
        assert pause.reached.wait(WAIT)  # the save has written, and holds the assessment, uncommitted
        with thread(close, results, "close") as closed:
            wait_until_blocked(pids, "close", closed)
            pause.release.set()
    assert isinstance(results["save"], Rating), results["save"]
    assert isinstance(results["close"], Assessment), results["close"]
    assert_snapshot_is_what_is_stored(assessment)
    assert Rating.objects.get(pk=results["save"].pk).rating == "unmet"
    assert Decimal(assessment.final_result["total"]) < all_met  # the unmet criterion counts in the frozen total


def test_a_save_waiting_for_a_submission_is_refused_once_it_commits(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    assessment = inspection(cast)
    criterion = Criterion.objects.get(standard=assessment.standard, code=CODE)
    pause = Pause("assessment.submit")
    monkeypatch.setattr(services, "audit_record", pause.around(services.audit_record))
    results: dict[str, Any] = {}
    pids: dict[str, int] = {}

    def save() -> Rating:
        pids["save"] = backend_pid()
        return workspace_services.rating_save(
            actor=cast.inspector, assessment=assessment, criterion=criterion, rating="unmet", remark="未达标"
        )

    with thread(lambda: services.assessment_submit(actor=cast.qc_admin, assessment=assessment), results, "submit"):
        assert pause.reached.wait(WAIT)  # submitted, uncommitted, holding the assessment
        with thread(save, results, "save") as saved:
            wait_until_blocked(pids, "save", saved)
            pause.release.set()
    assert isinstance(results["save"], AssessmentLocked), results["save"]
    workspace_services.assessment_finalize(actor=cast.qc_admin, assessment=assessment)
    assert_snapshot_is_what_is_stored(assessment)
    assert Rating.objects.get(assessment=assessment, criterion=criterion).rating == "met"


def test_a_write_bypassing_the_services_waits_for_a_finalization_and_is_refused(cast: Cast) -> None:
    assessment = inspection(cast)
    services.assessment_submit(actor=cast.qc_admin, assessment=assessment)
    finalizing, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}
    pids: dict[str, int] = {}

    def finalize() -> None:
        # What assessment_finalize does, by hand: lock the row, mark it finalized, commit later.
        with transaction.atomic():
            Assessment.objects.select_for_update().get(pk=assessment.pk)
            Assessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.FINALIZED)
            finalizing.set()
            assert release.wait(WAIT)

    def write() -> int:
        pids["write"] = backend_pid()
        return Rating.objects.filter(assessment=assessment, criterion__code=CODE).update(rating="unmet", score=0)

    with thread(finalize, results, "finalize"):
        assert finalizing.wait(WAIT)
        with thread(write, results, "write") as written:
            # Before the guard took its lock, the write read the old status and went through here.
            wait_until_blocked(pids, "write", written)
            release.set()
    assert results["finalize"] is None
    assert isinstance(results["write"], IntegrityError), results["write"]
    assert "is finalized" in str(results["write"])
    assert Rating.objects.get(assessment=assessment, criterion__code=CODE).rating == "met"
