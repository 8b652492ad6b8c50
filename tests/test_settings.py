"""Settings come from the environment and fail loudly; the suite runs where it claims to."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def django_check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_secret_key_and_debug_the_app_refuses_to_start(tmp_path: Path) -> None:
    done = django_check(DEBUG="false", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


@pytest.mark.parametrize("key", ["x", "a" * 60, "django-insecure-" + "k3y" * 20])
def test_a_weak_secret_key_is_refused_in_production(tmp_path: Path, key: str) -> None:
    done = django_check(DEBUG="false", SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode != 0
    assert "SECRET_KEY is too weak" in done.stderr


def test_a_strong_secret_key_starts_production(tmp_path: Path) -> None:
    key = "7vQ9m2Lr8Xk4Zp1Ns6Bt3Wd5Hc0Yf8Gj2Ke7Ua9Ro4Ti1Ev6Io3Pl5Sx8Cw0Dq2Fz"
    done = django_check(DEBUG="false", SECRET_KEY=key, DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode == 0, done.stderr


def test_the_filesystem_broker_folders_exist_before_any_worker_ran(tmp_path: Path) -> None:
    """A task published before `scripts/run-dev` ever started a worker reaches the queue folder."""
    data = tmp_path / "celery"
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from anesqc.celery import app; app.send_task('anesqc.ping')"],
        cwd=ROOT,
        env={**clean, "DEBUG": "true", "CELERY_DATA_DIR": str(data), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(list((data / "queue").iterdir())) == 1


def test_a_malformed_boolean_is_refused(tmp_path: Path) -> None:
    done = django_check(DEBUG="perhaps", SECRET_KEY="k", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode != 0


def test_debug_runs_on_the_embedded_defaults(tmp_path: Path) -> None:
    done = django_check(DEBUG="true", DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert done.returncode == 0, done.stderr


@pytest.mark.django_db
def test_the_suite_runs_on_postgresql_when_make_test_asks_for_it() -> None:
    if os.environ.get("ANESQC_REQUIRE_POSTGRES") != "1":
        pytest.skip("plain pytest: whatever DATABASE_URL says")
    assert connection.vendor == "postgresql"
