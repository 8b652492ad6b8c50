"""Standards as files: validation and import of the documented JSON format.

The format (`anesqc-standard/1`) is documented in docs/standard-format.md and
exemplified by fixtures/cq2011.json. A file is validated completely before
anything is written, and written in one transaction, so a refused import
leaves the database as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from accounts.models import Level

from .engine import APPLIES_ALL, APPLIES_KEY_SPECIALTY, is_half_point
from .models import Chapter, Criterion, GradeThreshold, Item, Standard

FORMAT = "anesqc-standard/1"
BUILTIN_STANDARDS = ("cq2011",)
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


class StandardFileError(ValueError):
    """A standard file that cannot be imported; `errors` lists every problem found, each naming its place."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def fixture_path(code: str) -> Path:
    """Where a built-in standard's file lives."""
    return Path(settings.BASE_DIR) / "fixtures" / f"{code}.json"


def read_standard_file(path: Path) -> dict[str, Any]:
    """Parse a standard file; malformed JSON is reported with its line and column."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise StandardFileError([f"{path}: 文件不存在"]) from exc
    except json.JSONDecodeError as exc:
        raise StandardFileError([f"{path}: 第 {exc.lineno} 行第 {exc.colno} 列 JSON 格式错误：{exc.msg}"]) from exc
    except UnicodeDecodeError as exc:
        raise StandardFileError([f"{path}: 文件不是 UTF-8 编码"]) from exc
    if not isinstance(data, dict):
        raise StandardFileError([f"{path}: 顶层必须是一个 JSON 对象"])
    return data


@dataclass
class _Checker:
    errors: list[str]

    def decimal(self, where: str, value: Any, *, half_point: bool = True) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            self.errors.append(f'{where}: 应为数字字符串（如 "15" 或 "0.7"），实际为 {value!r}')
            return Decimal(0)
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.errors.append(f"{where}: “{value}”不是数字")
            return Decimal(0)
        if not number.is_finite():
            self.errors.append(f"{where}: “{value}”不是有限数字")
            return Decimal(0)
        if half_point and not is_half_point(number):
            self.errors.append(f"{where}: {value} 不是 0.5 分的整数倍")
        return number

    def text(self, where: str, value: Any, *, required: bool = True, max_length: int | None = None) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.errors.append(f"{where}: 必须是非空文本")
            return ""
        if max_length is not None and len(value) > max_length:
            self.errors.append(f"{where}: 长度不能超过 {max_length} 个字符")
        return value


def validate_standard(data: dict[str, Any]) -> list[str]:
    """Every problem with a standard file, each naming its place; empty when the file is sound.

    Checks: format and code; unique chapter numbers, item codes and criterion codes;
    valid points, flags and weights; each item's points are the sum of its criteria;
    each chapter's points are reached both by a general and by a key-specialty
    department; the chapters add up to the total; thresholds name known levels.
    """
    errors: list[str] = []
    check = _Checker(errors)
    if data.get("format") != FORMAT:
        errors.append(f'format: 应为 "{FORMAT}"，实际为 {data.get("format")!r}')
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        errors.append(f"code: {code!r} 不是有效代码（小写字母、数字、- 或 _，2–40 个字符）")
    check.text("title", data.get("title"), max_length=200)
    total = check.decimal("total_points", data.get("total_points"))

    thresholds = data.get("grade_thresholds")
    if not isinstance(thresholds, dict) or not thresholds:
        errors.append('grade_thresholds: 必须是医院等级到达标分的对象，如 {"3A": "850"}')
    else:
        for level, points in thresholds.items():
            if level not in Level.values:
                errors.append(f"grade_thresholds.{level}: 未知医院等级，应为 {'/'.join(Level.values)}")
            value = check.decimal(f"grade_thresholds.{level}", points)
            if value < 0 or value > total:
                errors.append(f"grade_thresholds.{level}: {points} 超出 0–{total} 的范围")

    chapters = data.get("chapters")
    if not isinstance(chapters, list) or not chapters:
        errors.append("chapters: 必须是非空列表")
        return errors

    seen_chapters: set[Any] = set()
    seen_items: set[str] = set()
    seen_codes: dict[str, str] = {}
    chapter_sum = Decimal(0)
    for ci, chapter in enumerate(chapters):
        cw = f"chapters[{ci}]"
        if not isinstance(chapter, dict):
            errors.append(f"{cw}: 必须是对象")
            continue
        number = chapter.get("number")
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            errors.append(f"{cw}.number: 必须是正整数")
        elif number in seen_chapters:
            errors.append(f"{cw}.number: 章号 {number} 重复")
        seen_chapters.add(number)
        cw = f"chapters[{ci}]（第 {number} 章）"
        check.text(f"{cw}.title", chapter.get("title"), max_length=100)
        chapter_max = check.decimal(f"{cw}.max_points", chapter.get("max_points"))
        chapter_sum += chapter_max
        general = key = Decimal(0)
        items = chapter.get("items")
        if not isinstance(items, list) or not items:
            errors.append(f"{cw}.items: 必须是非空列表")
            continue
        for ii, item in enumerate(items):
            iw = f"{cw}.items[{ii}]"
            if not isinstance(item, dict):
                errors.append(f"{iw}: 必须是对象")
                continue
            item_code = check.text(f"{iw}.code", item.get("code"), max_length=20)
            if item_code in seen_items:
                errors.append(f"{iw}.code: 项目代码 {item_code} 重复")
            seen_items.add(item_code)
            iw = f"{cw}.items[{ii}]（{item_code}）"
            check.text(f"{iw}.title", item.get("title"), max_length=100)
            item_max = check.decimal(f"{iw}.max_points", item.get("max_points"))
            criteria = item.get("criteria")
            if not isinstance(criteria, list) or not criteria:
                errors.append(f"{iw}.criteria: 必须是非空列表")
                continue
            item_sum = Decimal(0)
            for ki, crit in enumerate(criteria):
                kw = f"{iw}.criteria[{ki}]"
                if not isinstance(crit, dict):
                    errors.append(f"{kw}: 必须是对象")
                    continue
                ccode = check.text(f"{kw}.code", crit.get("code"), max_length=20)
                if ccode in seen_codes:
                    errors.append(f"{kw}.code: 细则代码 {ccode} 重复（首次出现于 {seen_codes[ccode]}）")
                else:
                    seen_codes[ccode] = kw
                kw = f"{iw}.criteria[{ki}]（{ccode}）"
                check.text(f"{kw}.text", crit.get("text"))
                check.text(f"{kw}.content", crit.get("content", ""), required=False, max_length=200)
                points = check.decimal(f"{kw}.max_points", crit.get("max_points"))
                if points <= 0:
                    errors.append(f"{kw}.max_points: 必须大于 0")
                if not isinstance(crit.get("veto", False), bool):
                    errors.append(f"{kw}.veto: 必须是 true 或 false")
                applies_to = crit.get("applies_to", APPLIES_ALL)
                if applies_to not in (APPLIES_ALL, APPLIES_KEY_SPECIALTY):
                    errors.append(f"{kw}.applies_to: 应为 all 或 key_specialty，实际为 {applies_to!r}")
                weight = check.decimal(
                    f"{kw}.key_specialty_weight", crit.get("key_specialty_weight", "1"), half_point=False
                )
                if not Decimal(0) < weight <= Decimal(1):
                    errors.append(f"{kw}.key_specialty_weight: 必须大于 0 且不大于 1")
                na_levels = crit.get("not_applicable_levels", [])
                if (
                    not isinstance(na_levels, list)
                    or not set(na_levels) <= set(Level.values)
                    or len(set(na_levels)) != len(na_levels)
                ):
                    errors.append(
                        f"{kw}.not_applicable_levels: 应为医院等级 {'/'.join(Level.values)} 的不重复列表，"
                        f"实际为 {na_levels!r}"
                    )
                item_sum += points
                if applies_to == APPLIES_ALL:
                    general += points
                key += points * weight
            if item_sum != item_max:
                errors.append(f"{iw}.max_points: 为 {item_max}，但其细则分值之和为 {item_sum}")
        if general != chapter_max:
            errors.append(f"{cw}.max_points: 为 {chapter_max}，但一般科室适用细则之和为 {general}")
        if key != chapter_max:
            errors.append(f"{cw}.max_points: 为 {chapter_max}，但重点专科加权后之和为 {key}")
    if chapter_sum != total:
        errors.append(f"total_points: 为 {total}，但各章分值之和为 {chapter_sum}")
    return errors


@transaction.atomic
def standard_import(*, data: dict[str, Any], replace: bool = False) -> Standard:
    """Create a standard from validated file data; refuse on any problem, writing nothing.

    An existing standard may be replaced only while no assessment uses it:
    a revision that is already in use must get a new code.
    """
    errors = validate_standard(data)
    if errors:
        raise StandardFileError(errors)
    existing = Standard.objects.filter(code=data["code"]).first()
    if existing is not None:
        if not replace:
            raise StandardFileError([f"code: 标准 {data['code']} 已存在；如需替换请使用 --replace"])
        if existing.assessments.exists():
            raise StandardFileError([f"code: 标准 {data['code']} 已被评审使用，不能替换；请以新代码导入修订版"])
        existing.delete()

    standard = Standard.objects.create(
        code=data["code"],
        title=data["title"],
        issuer=data.get("issuer", ""),
        document_number=data.get("document_number", ""),
        issued_on=data.get("issued_on") or None,
        total_points=Decimal(data["total_points"]),
    )
    GradeThreshold.objects.bulk_create(
        GradeThreshold(standard=standard, level=level, points=Decimal(points))
        for level, points in data["grade_thresholds"].items()
    )
    position = 0
    criteria: list[Criterion] = []
    for chapter_data in data["chapters"]:
        chapter = Chapter.objects.create(
            standard=standard,
            number=chapter_data["number"],
            title=chapter_data["title"],
            max_points=Decimal(chapter_data["max_points"]),
        )
        for item_pos, item_data in enumerate(chapter_data["items"], start=1):
            item = Item.objects.create(
                chapter=chapter,
                code=item_data["code"],
                position=item_pos,
                title=item_data["title"],
                max_points=Decimal(item_data["max_points"]),
            )
            for crit in item_data["criteria"]:
                position += 1
                criteria.append(
                    Criterion(
                        standard=standard,
                        item=item,
                        code=crit["code"],
                        position=position,
                        content=crit.get("content", ""),
                        text=crit["text"],
                        remark=crit.get("remark", ""),
                        note=crit.get("note", ""),
                        max_points=Decimal(crit["max_points"]),
                        veto=crit.get("veto", False),
                        applies_to=crit.get("applies_to", APPLIES_ALL),
                        key_specialty_weight=Decimal(crit.get("key_specialty_weight", "1")),
                        not_applicable_levels=list(crit.get("not_applicable_levels", [])),
                    )
                )
    Criterion.objects.bulk_create(criteria)
    return standard


def ensure_builtin_standards(**kwargs: Any) -> None:
    """Load every built-in standard that the database lacks (post_migrate).

    Only missing standards are created: a qc_admin's later edits (veto flags)
    are never overwritten by a migrate.
    """
    for code in BUILTIN_STANDARDS:
        if not Standard.objects.filter(code=code).exists():
            standard_import(data=read_standard_file(fixture_path(code)))
