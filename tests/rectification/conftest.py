"""Rectification tests: finalized inspections with chosen shortfalls, their plans, and a MEDIA_ROOT per test."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from accounts.models import Hospital
from rectification.models import RectificationItem
from rectification.services import rectification_plan_create
from scoring.models import Assessment, AssessmentKind, Criterion
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.scoring.factories import AssessmentFactory, RatingFactory, rate_all
from workspace.services import assessment_finalize

# The default shortfalls: one 基本达标 (partial) and one 未达标 (unmet), both applying to every hospital.
PARTIAL = {"1.1-1-2": Decimal("10")}
UNMET = ("1.2-1-1",)


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def shortfall_codes(n: int) -> list[str]:
    """The first n criteria that apply to every hospital, in the standard's order."""
    return list(
        Criterion.objects.filter(standard__code="cq2011", applies_to="all")
        .order_by("position")
        .values_list("code", flat=True)[:n]
    )


def finalized(
    cast: Cast,
    hospital: Hospital,
    *,
    kind: str = AssessmentKind.INSPECTION,
    partial: dict[str, Decimal] | None = None,
    unmet: tuple[str, ...] | list[str] = UNMET,
    year: int = 2026,
    finalize: bool = True,
) -> Assessment:
    """An assessment of `hospital` with the given shortfalls and every other criterion met, submitted and finalized."""
    assessment = AssessmentFactory(hospital=hospital, kind=kind, year=year)
    partial = PARTIAL if partial is None else partial
    for code, score in partial.items():
        RatingFactory(assessment=assessment, criterion=criterion(code), rating="partial", score=score)
    for code in unmet:
        RatingFactory(assessment=assessment, criterion=criterion(code), rating="unmet")
    rate_all(assessment)
    actor = cast.qc_admin
    if kind == AssessmentKind.SELF:
        actor = cast.head_a if hospital == cast.hospital_a else cast.head_b
    assessment = assessment_submit(actor=actor, assessment=assessment)
    if finalize:
        assessment = assessment_finalize(actor=cast.qc_admin, assessment=assessment)
    return assessment


def plan(cast: Cast, hospital: Hospital, **kwargs: Any) -> list[RectificationItem]:
    """A finalized inspection of `hospital` and its rectification plan, drawn up as the lead's finalize hook will."""
    assessment = finalized(cast, hospital, **kwargs)
    return rectification_plan_create(actor=cast.qc_admin, assessment=assessment)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root
