"""Production configuration: `check --deploy` is clean, HTTPS is enforced, media storage is chosen by the environment."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[1]
ENV_EXAMPLE = ROOT / "deploy" / "anesqc.env.example"


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of deploy/anesqc.env.example, with a real key and local paths; nothing from the test run."""
    values: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    values.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        STATIC_ROOT=str(tmp_path / "static"),
    )
    values.update(overrides)
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "VIRTUAL_ENV", "TMPDIR"}}
    return {**keep, **values}


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # A developer's .env is read too, but below real variables, and every test sets DEBUG itself.
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def production_settings(env: dict[str, str], *names: str) -> dict[str, object]:
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {list(names)!r}}}, default=str))"
    )
    done = manage(env, "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path: Path) -> None:
    done = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_is_clean_with_nothing_but_the_required_variables(tmp_path: Path) -> None:
    # Secure by default: DEBUG off, a key and the host names are all production needs to pass.
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "anesqc.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bare.sqlite3'}",
    }

    done = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert done.returncode == 0, done.stdout + done.stderr


def test_production_cookies_are_secure_http_only_and_same_site_and_https_is_enforced(tmp_path: Path) -> None:
    values = production_settings(
        production_env(tmp_path),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SAMESITE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "X_FRAME_OPTIONS",
        "SECURE_PROXY_SSL_HEADER",
    )

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


def test_without_a_secret_key_production_refuses_to_start(tmp_path: Path) -> None:
    done = manage(production_env(tmp_path, SECRET_KEY=""), "check")

    assert done.returncode != 0
    assert "SECRET_KEY is not set" in done.stderr


def test_static_files_are_served_by_whitenoise_compressed(tmp_path: Path) -> None:
    values = production_settings(production_env(tmp_path), "STORAGES", "MIDDLEWARE")

    assert values["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedStaticFilesStorage"  # type: ignore[index]
    middleware = values["MIDDLEWARE"]
    assert isinstance(middleware, list)
    # Right after SecurityMiddleware, so static files skip the rest (sessions, authentication).
    security = middleware.index("django.middleware.security.SecurityMiddleware")
    assert middleware.index("whitenoise.middleware.WhiteNoiseMiddleware") == security + 1


def test_s3_compatible_media_storage_is_chosen_by_the_environment(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        MEDIA_STORAGE="s3",
        S3_BUCKET="anesqc-media",
        S3_ENDPOINT_URL="http://127.0.0.1:9",
        S3_ACCESS_KEY_ID="id",
        S3_SECRET_ACCESS_KEY="secret",
        S3_ADDRESSING_STYLE="path",
    )
    code = (
        "from django.core.files.storage import storages; d = storages['default']; "
        "print(type(d).__name__, d.bucket_name, d.endpoint_url, d.default_acl, d.file_overwrite)"
    )

    done = manage(env, "shell", "-c", code)  # configuration only: nothing is sent to the endpoint

    assert done.returncode == 0, done.stderr
    last_line = done.stdout.strip().splitlines()[-1]
    assert last_line.split() == ["S3Storage", "anesqc-media", "http://127.0.0.1:9", "private", "False"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MEDIA_STORAGE": "s3", "S3_BUCKET": ""}, "S3_BUCKET"),
        ({"MEDIA_STORAGE": "ftp"}, "MEDIA_STORAGE"),
        ({"MEDIA_X_ACCEL_REDIRECT_PREFIX": "protected"}, "MEDIA_X_ACCEL_REDIRECT_PREFIX"),
        ({"SESSION_IDLE_TIMEOUT": "90000"}, "SESSION_IDLE_TIMEOUT"),
        ({"SESSION_COOKIE_SECURE": "maybe"}, "SESSION_COOKIE_SECURE"),
    ],
)
def test_bad_production_values_stop_the_start(tmp_path: Path, overrides: dict[str, str], message: str) -> None:
    done = manage(production_env(tmp_path, **overrides), "check")

    assert done.returncode != 0
    assert message in done.stderr


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_except_the_health_check() -> None:
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000):
        client = Client()
        redirected = client.get("/accounts/login/")
        health = client.get("/healthz")
        secure = client.get("/accounts/login/", secure=True)

    assert redirected.status_code == 301
    assert redirected["Location"] == "https://testserver/accounts/login/"
    assert health.status_code == 200
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_procfile_runs_web_worker_and_beat() -> None:
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())

    assert processes["web"].split()[0] == "gunicorn"
    assert "worker" in processes["worker"] and "beat" in processes["beat"]
    for unit in ("anesqc-web.service", "anesqc-worker@.service", "anesqc-beat.service"):
        assert "EnvironmentFile=/etc/anesqc/anesqc.env" in (ROOT / "deploy" / "systemd" / unit).read_text()


def test_docker_compose_keeps_redis_durable_and_never_evicting() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())

    assert {"postgres", "redis", "web", "worker", "beat"} <= set(compose["services"])
    redis = compose["services"]["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes"
    assert redis[redis.index("--maxmemory-policy") + 1] == "noeviction"
