"""One row of the benchmark table, the table printed and written as JSON, and the bench environment."""

from __future__ import annotations

import json
import os
import platform
import re
import resource
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "var" / "bench"

# Production-only settings that break plain-HTTP serving on loopback (anesqc/settings.py, README "Security"):
# with DEBUG off the HTTPS redirect answers every request 301, secure cookies never come back over HTTP and
# HSTS would pin the browser to HTTPS. Every bench process and the servers it starts run with these, whatever
# the caller's environment says (`make bench` on a fresh clone sets nothing but DEBUG=false).
LOCAL_SERVING = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "false",
    "SECURE_HSTS_PRELOAD": "false",
}
BENCH_DEFAULTS = {
    "DEBUG": "false",  # measured as production runs
    "SECRET_KEY": "bench-only-not-secret-but-long-enough-for-the-strength-check",
    "DJANGO_SETTINGS_MODULE": "anesqc.settings",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
}


def bench_environment() -> dict[str, str]:
    """Set up this process's environment for a bench script, before django.setup(); returns it.

    The production-only settings are forced off; the rest are defaults a caller may override.
    """
    for key, value in BENCH_DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.update(LOCAL_SERVING)
    return dict(os.environ)


def peak_rss_mib() -> float:
    """This process's peak resident memory so far, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class Row:
    """A measured figure: with a floor it is reported as a ratio; `goal` is checked when it has a number.

    goal "≤ 2" / "≥ 0.5" applies to the ratio (or to the measured value when there is no floor); `limit`
    is an absolute ceiling on the measured value ("0 errors", "< 5 ms").
    """

    name: str
    measured: float
    unit: str
    floor: float | None = None
    goal: str = ""
    higher: bool = False
    limit: float | None = None
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return None if not self.floor else self.measured / self.floor

    @property
    def met(self) -> bool | None:
        if self.limit is not None:
            return self.measured <= self.limit
        number = re.search(r"[0-9.]+", self.goal)
        if not number:
            return None
        value = self.ratio if self.ratio is not None else self.measured
        bound = float(number.group())
        return value >= bound if self.higher else value <= bound


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def print_table(rows: list[Row], title: str = "") -> None:
    if title:
        print(title)
    print(f"{'figure':<58}{'measured':>14} {'unit':<7}{'floor':>12}{'ratio':>9}  {'goal':<8}{'met':>4}")
    for r in rows:
        met = {True: "yes", False: "NO", None: ""}[r.met]
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        print(f"{r.name:<58}{_fmt(r.measured):>14} {r.unit:<7}{_fmt(r.floor):>12}{ratio:>9}  {r.goal:<8}{met:>4}")


def write_json(rows: list[Row], path: Path | None = None) -> Path:
    """The table as JSON (default var/bench/results.json), each row with its ratio and whether it met its goal."""
    path = path or RESULTS / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "rows": [asdict(r) | {"ratio": r.ratio, "met": r.met} for r in rows],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _cpus() -> int:
    return os.cpu_count() or 0


def dump(rows: list[Row], path: str) -> None:
    """The rows as JSON for bench/all.py, which gathers every script's rows into one table."""
    Path(path).write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False), encoding="utf-8")


def load(path: str) -> list[Row]:
    return [Row(**r) for r in json.loads(Path(path).read_text(encoding="utf-8"))]
