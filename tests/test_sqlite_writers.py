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


def test_two_writers_on_sqlite_take_turns_instead_of_one_crashing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG", "REDIS_URL"}}
    env.update(
        {
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "anesqc.settings",
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['ok', 'ok']", done.stdout
