"""manage.py import_standard: a documented file in, validated whole, refused with a clear message."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from scoring.models import Criterion, Standard
from scoring.standards import fixture_path, validate_standard
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cq2011_data() -> dict[str, Any]:
    return json.loads(fixture_path("cq2011").read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "standard.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def revised(data: dict[str, Any], code: str = "cq2026") -> dict[str, Any]:
    new = copy.deepcopy(data)
    new["code"] = code
    new["title"] = "重庆市麻醉质控标准（修订）"
    return new


def test_the_shipped_fixture_is_valid(cq2011_data: dict[str, Any]) -> None:
    assert validate_standard(cq2011_data) == []


def test_a_new_standard_imports_without_code_changes(tmp_path: Path, cq2011_data: dict[str, Any], capsys) -> None:
    call_command("import_standard", str(write(tmp_path, revised(cq2011_data))))
    standard = Standard.objects.get(code="cq2026")
    assert standard.criteria.count() == 102
    assert dict(standard.thresholds.values_list("level", "points"))["3A"] == 850
    assert "已导入标准 cq2026" in capsys.readouterr().out


def test_check_only_writes_nothing(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    call_command("import_standard", str(write(tmp_path, revised(cq2011_data))), "--check")
    assert not Standard.objects.filter(code="cq2026").exists()


def test_duplicate_criterion_codes_are_refused_and_nothing_is_saved(
    tmp_path: Path, cq2011_data: dict[str, Any]
) -> None:
    data = revised(cq2011_data)
    items = data["chapters"][0]["items"][0]["criteria"]
    items[1]["code"] = items[0]["code"]
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, data)))
    assert "细则代码 1.1-1-1 重复" in str(exc.value)
    assert not Standard.objects.filter(code="cq2026").exists()


def test_points_that_do_not_add_up_are_refused_naming_the_place(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    data = revised(cq2011_data)
    data["chapters"][1]["items"][0]["criteria"][0]["max_points"] = "55"  # 2.1-1: 50 → 55
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, data)))
    message = str(exc.value)
    assert "chapters[1]（第 2 章）.items[0]（2.1）.max_points" in message
    assert "细则分值之和为 105" in message
    assert "chapters[1]（第 2 章）.max_points: 为 150，但一般科室适用细则之和为 155" in message
    assert Standard.objects.count() == 1


def test_key_specialty_weights_must_keep_the_chapter_total(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    data = revised(cq2011_data)
    data["chapters"][2]["items"][0]["criteria"][0]["key_specialty_weight"] = "0.8"
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, data)))
    assert "重点专科加权后之和为 332.5" in str(exc.value)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d.update(code="CQ 2026"), "code"),
        (lambda d: d["grade_thresholds"].update({"1A": "500"}), "grade_thresholds.1A"),
        (lambda d: d["chapters"][0]["items"][0]["criteria"][0].update(max_points=15.25), "max_points"),
        (lambda d: d["chapters"][0]["items"][0]["criteria"][0].update(max_points="15.25"), "0.5 分的整数倍"),
        (lambda d: d["chapters"][0]["items"][0]["criteria"][0].update(veto="yes"), "veto"),
        (lambda d: d["chapters"][0]["items"][0]["criteria"][0].update(applies_to="some"), "applies_to"),
        (lambda d: d["chapters"][0]["items"][0]["criteria"][0].update(text=""), "text"),
        (lambda d: d.update(chapters=[]), "chapters"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, cq2011_data: dict[str, Any], mutate, expected: str) -> None:
    data = revised(cq2011_data)
    mutate(data)
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, data)))
    assert expected in str(exc.value)
    assert not Standard.objects.filter(code="cq2026").exists()


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "code": "x",\n  oops\n}', encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(path))
    assert "第 3 行" in str(exc.value)


def test_an_existing_code_is_refused_without_replace(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, cq2011_data)))
    assert "已存在" in str(exc.value)


def test_replace_refuses_a_standard_in_use(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    AssessmentFactory()
    with pytest.raises(CommandError) as exc:
        call_command("import_standard", str(write(tmp_path, cq2011_data)), "--replace")
    assert "已被评审使用" in str(exc.value)


def test_replace_revises_an_unused_standard(tmp_path: Path, cq2011_data: dict[str, Any]) -> None:
    data = copy.deepcopy(cq2011_data)
    data["chapters"][0]["items"][0]["criteria"][0]["text"] = "修订后的文字"
    call_command("import_standard", str(write(tmp_path, data)), "--replace")
    assert Criterion.objects.get(standard__code="cq2011", code="1.1-1-1").text == "修订后的文字"
