"""Report tests: a MEDIA_ROOT per test, assessments and rounds with chosen results, and PDF helpers."""

import datetime
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Hospital
from rounds.models import InspectionRound
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Assessment, AssessmentKind, Criterion, Rating, Standard
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "artifacts" / "reports"

# A remark a user might type, holding markup and a URL the renderer must never fetch.
HOSTILE_REMARK = '<img src="http://127.0.0.1:{port}/x.png"><b>粗体</b> & <script>alert(1)</script> PETCO2 监测仪不足'


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def rate(assessment: Assessment, code: str, rating: str, score: str | None = None, remark: str = "") -> Rating:
    c = criterion(code)
    value = {"met": c.max_points, "unmet": Decimal(0)}.get(rating) if score is None else Decimal(score)
    rating_row, _ = Rating.objects.update_or_create(
        assessment=assessment, criterion=c, defaults={"rating": rating, "score": value, "remark": remark}
    )
    return rating_row


def finalized_inspection(
    cast: Cast,
    hospital: Hospital,
    *,
    assessment: Assessment | None = None,
    unmet: tuple[str, ...] = ("1.2-1-1",),
    partial: dict[str, str] | None = None,
    remark: str = "",
) -> Assessment:
    """An inspection of `hospital`: the given shortfalls, every other criterion met, submitted and finalized."""
    if assessment is None:
        assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.INSPECTION)
    for code in unmet:
        rate(assessment, code, "unmet", remark=remark)
    for code, score in (partial or {"3.1-3": "7.5"}).items():
        rate(assessment, code, "partial", score, remark=remark)
    rate_all(assessment)
    assessment = assessment_submit(actor=cast.qc_admin, assessment=assessment)
    return assessment_finalize(actor=cast.qc_admin, assessment=assessment)


def make_round(
    cast: Cast, *hospitals: Hospital, finalize: bool = True, name: str = "2026 年度麻醉质控检查"
) -> InspectionRound:
    """A round of the given hospitals, the cast's inspector leading A's team; inspections finalized if asked."""
    rnd = round_create(
        actor=cast.qc_admin,
        name=name,
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    for hospital in hospitals:
        entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=hospital)
        if hospital == cast.hospital_a:
            round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=True)
        if finalize:
            assert entry.inspection is not None
            finalized_inspection(cast, hospital, assessment=entry.inspection)
    return rnd


def pdftotext(path: Path, *, layout: bool = False) -> str:
    args = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def pdffonts(path: Path) -> list[dict[str, str]]:
    """pdffonts' table as rows: name, type, emb, sub."""
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name, type (may hold spaces), encoding, emb, sub, uni, object, id
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "line": line})
    return rows


def page_count(path: Path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("Pages:")))


def save_pngs(path: Path, name: str, *, pages: int = 3) -> list[Path]:
    """The first pages as PNG under var/artifacts/reports/, kept for a visual check."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = ARTIFACTS / name
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", str(pages), str(path), str(prefix)],
        check=True,
        timeout=120,
    )
    shutil.copyfile(path, ARTIFACTS / f"{name}.pdf")
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root
