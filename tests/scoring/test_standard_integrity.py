"""The 2011 standard as loaded by `migrate`: every skeleton row, every total, every threshold."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from scoring.models import Chapter, Criterion, Item, Standard

SKELETON = Path(__file__).resolve().parents[2] / "fixtures" / "cq2011-skeleton.csv"
D = Decimal

pytestmark = pytest.mark.django_db


@pytest.fixture
def cq2011() -> Standard:
    return Standard.objects.get(code="cq2011")


def skeleton_rows() -> list[dict[str, str]]:
    with SKELETON.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_the_2011_standard_is_present_after_migrate(cq2011: Standard) -> None:
    assert cq2011.title == "重庆市医疗机构麻醉医疗质量控制标准（试行）"
    assert cq2011.total_points == D("1000")


def test_every_chapter_sums_to_its_points_and_the_total_is_1000(cq2011: Standard) -> None:
    chapters = list(Chapter.objects.filter(standard=cq2011).order_by("number"))
    assert [(c.number, c.title, c.max_points) for c in chapters] == [
        (1, "组织结构与功能", D("180")),
        (2, "人员配备", D("150")),
        (3, "诊疗技术", D("330")),
        (4, "科室管理", D("220")),
        (5, "教育与科研", D("120")),
    ]
    for chapter in chapters:
        general = Criterion.objects.filter(item__chapter=chapter, applies_to="all").aggregate(s=Sum("max_points"))["s"]
        assert general == chapter.max_points, chapter.title
    assert sum(c.max_points for c in chapters) == D("1000")


def test_a_key_specialty_department_also_totals_1000(cq2011: Standard) -> None:
    general_3 = Criterion.objects.filter(standard=cq2011, code__startswith="3.1-")
    key_only = Criterion.objects.filter(standard=cq2011, applies_to="key_specialty")
    assert general_3.count() == 18
    assert {c.key_specialty_weight for c in general_3} == {D("0.7")}
    assert sum(c.max_points * c.key_specialty_weight for c in general_3) == D("231")
    assert key_only.count() == 10
    assert sum(c.max_points for c in key_only) == D("99")
    weighted = sum(c.max_points * c.key_specialty_weight for c in Criterion.objects.filter(standard=cq2011))
    assert weighted == D("1000")


def test_item_points_are_the_sum_of_their_criteria(cq2011: Standard) -> None:
    for item in Item.objects.filter(chapter__standard=cq2011).annotate(s=Sum("criteria__max_points")):
        assert item.s == item.max_points, item.code


def test_all_102_skeleton_rows_are_present_with_their_points_and_flags(cq2011: Standard) -> None:
    rows = skeleton_rows()
    assert len(rows) == 102
    criteria = {c.code: c for c in Criterion.objects.filter(standard=cq2011).select_related("item__chapter")}
    assert set(criteria) == {r["code"] for r in rows}
    for row in rows:
        c = criteria[row["code"]]
        assert c.item.chapter.number == int(row["chapter"]), row["code"]
        assert c.item.title == row["item"], row["code"]
        assert c.max_points == D(row["max_points"]), row["code"]
        assert c.veto is (row["veto"] == "1"), row["code"]
        assert c.applies_to == row["applies_to"], row["code"]
        assert c.key_specialty_weight == D(row["key_specialty_weight"]), row["code"]
        assert c.note == row["note"], row["code"]
        assert c.text.strip(), row["code"]


def test_skeleton_order_is_kept(cq2011: Standard) -> None:
    codes = list(Criterion.objects.filter(standard=cq2011).order_by("position").values_list("code", flat=True))
    assert codes == [r["code"] for r in skeleton_rows()]


def test_the_eleven_default_veto_items(cq2011: Standard) -> None:
    vetoes = set(Criterion.objects.filter(standard=cq2011, veto=True).values_list("code", flat=True))
    assert vetoes == {
        "1.1-1-1", "1.2-2-1", "3.1-2-1", "3.1-12-1", "3.1-13-1", "3.1-14-1",
        "4.1-1-1", "4.1-5-1", "4.1-7-1", "4.1-12-1", "4.1-13-1",
    }  # fmt: skip


def test_grade_thresholds_are_data(cq2011: Standard) -> None:
    assert dict(cq2011.thresholds.values_list("level", "points")) == {
        "3A": D("850"),
        "3B": D("800"),
        "2A": D("700"),
        "2B": D("600"),
    }


def test_wording_comes_from_the_seed_with_restored_signs(cq2011: Standard) -> None:
    rr = Criterion.objects.get(standard=cq2011, code="1.2-3-2")
    assert "≥1:4" in rr.text and "≥1:3" in rr.text and "≥1:2" in rr.text
    assert "RR" in rr.content
    assert Criterion.objects.get(standard=cq2011, code="4.1-7-1").content
