"""On the embedded SQLite of `make run`, two transactions that read and then write the same row both go
through, one after the other (issue 12: two simultaneous finalizes gave "database is locked", a 500)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import threading
import django
django.setup()
from django.db import connection, connections, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (id integer PRIMARY KEY, status text)")
    cursor.execute("INSERT INTO probe VALUES (1, 'submitted')")
barrier = threading.Barrier(2)
outcomes = []

def finalize():
    try:
        with transaction.atomic():
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT status FROM probe WHERE id = 1")
                cursor.fetchone()
                try:
                    barrier.wait(timeout=2)  # both have read, as two finalizes checking the status would
                except threading.BrokenBarrierError:
                    pass
                cursor.execute("UPDATE probe SET status = 'finalized' WHERE id = 1")
        outcomes.append("ok")
    except Exception as exc:
        outcomes.append(repr(exc))
    finally:
        connections["default"].close()

threads = [threading.Thread(target=finalize) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
print(outcomes)
"""


def run_on_sqlite(script: str, tmp_path: Path) -> str:
    """Run `script` in a fresh process on an embedded SQLite file (as `make run` does); its standard output."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    env.update(
        {
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "anesqc.settings",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_two_writers_on_sqlite_take_turns_instead_of_one_crashing(tmp_path: Path) -> None:
    out = run_on_sqlite(SCRIPT, tmp_path)
    assert out.strip() == "['ok', 'ok']", out


FINALIZE = r"""
import threading
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient
from accounts.models import Hospital, Level, Role, User
from rounds.services import round_add_hospital, round_create
from scoring.models import Criterion, Rating, Standard
from scoring.services import assessment_submit

admin = User.objects.create_user("qc-sqlite", password="a-long-Password-12", role=Role.QC_ADMIN)
today = timezone.localdate()
rnd = round_create(actor=admin, name="轮次", year=today.year, standard=Standard.objects.get(code="cq2011"),
                   self_assessment_deadline=today, inspection_start=today, inspection_end=today)
hospital = Hospital.objects.create(name="甲医院", level=Level.L3A, key_specialty=True)
inspection = round_add_hospital(actor=admin, rnd=rnd, hospital=hospital).inspection
Rating.objects.bulk_create(
    Rating(assessment=inspection, criterion=c, rating="met", score=c.max_points)
    for c in Criterion.objects.filter(standard=inspection.standard)
)
assessment_submit(actor=admin, assessment=inspection)
connections.close_all()
barrier = threading.Barrier(2)
statuses = []

def finalize():
    client = APIClient(SERVER_NAME="localhost")
    client.force_authenticate(admin)
    try:
        barrier.wait(timeout=5)
        response = client.post(f"/api/v1/assessments/{inspection.pk}/finalize/")
        statuses.append(response.status_code)
        if response.status_code not in (200, 409):
            print(response.content.decode()[:500])
    except Exception as exc:
        statuses.append(repr(exc))
    finally:
        connections["default"].close()

threads = [threading.Thread(target=finalize) for _ in range(2)]
for t in threads: t.start()
for t in threads: t.join()
inspection.refresh_from_db()
print(sorted(map(str, statuses)), inspection.status)
"""


def test_two_simultaneous_finalizes_on_sqlite_answer_200_and_409_not_500(tmp_path: Path) -> None:
    out = run_on_sqlite(FINALIZE, tmp_path)
    assert out.strip().splitlines()[-1] == "['200', '409'] finalized", out[-2000:]
