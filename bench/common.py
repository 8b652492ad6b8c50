"""One row of the benchmark table, and the table printed and written as JSON."""

from __future__ import annotations

import json
import platform
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "var" / "bench"


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


def write_json(rows: list[Row], name: str = "results.json") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    data = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": _cpus()},
        "rows": [asdict(r) | {"ratio": r.ratio, "met": r.met} for r in rows],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def dump(rows: list[Row], path: str) -> None:
    """The rows as JSON for bench/all.py, which gathers every script's rows into one table."""
    Path(path).write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False), encoding="utf-8")


def load(path: str) -> list[Row]:
    return [Row(**r) for r in json.loads(Path(path).read_text(encoding="utf-8"))]
