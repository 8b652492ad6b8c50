"""The indicator dashboard (trend + p-chart) and the city-wide comparison (rank, percentile, funnel, exports)."""

import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Hospital, Level
from indicators.models import Indicator, PeriodValue
from tests.accounts.factories import HospitalFactory
from tests.conftest import CAST, Cast
from tests.indicators.factories import IndicatorFactory

pytestmark = [pytest.mark.django_db]

LOGIN = "login"

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "dashboard": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "comparison": {"-": (200, 403, 403, 403, 403, 403, LOGIN)},
    "comparison-csv": {"-": (200, 403, 403, 403, 403, 403, LOGIN)},
    "comparison-xlsx": {"-": (200, 403, 403, 403, 403, 403, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]


@pytest.fixture
def deaths(block: Indicator) -> Indicator:
    return IndicatorFactory(
        indicator_set=block.indicator_set,
        code="t.deaths",
        position=2,
        name="麻醉相关死亡率",
        numerator_text="死亡例数",
        denominator_text="麻醉总例数",
        unit="permille",
        direction="lower",
        target_comparator="le",
        target_value=Decimal("5"),
    )


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def put(hospital: Hospital, indicator: Indicator, months: dict[int, tuple[int, int]], year: int = 2026) -> None:
    PeriodValue.objects.bulk_create(
        PeriodValue(hospital=hospital, indicator=indicator, year=year, month=m, numerator=n, denominator=d)
        for m, (n, d) in months.items()
    )


def dashboard_url(hospital: Hospital, indicator: Indicator) -> str:
    return f"/hospitals/{hospital.pk}/indicators/{indicator.code}/dashboard/?year=2026"


def comparison_url(indicator: Indicator, fmt: str = "") -> str:
    return f"/indicators/{indicator.code}/comparison/?year=2026" + (f"&format={fmt}" if fmt else "")


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_page_permissions(cast: Cast, block: Indicator, page: str, target: str, who: str) -> None:
    put(cast.hospital_a, block, {1: (9, 10)})
    client = browser(cast, who)
    if page == "dashboard":
        hospital = cast.hospital_a if target == "A" else cast.hospital_b
        response = client.get(dashboard_url(hospital, block))
    else:
        response = client.get(comparison_url(block, page.removeprefix("comparison").lstrip("-")))
    expected = EXPECTED[page][target][CAST.index(who)]
    if expected == LOGIN:
        assert response.status_code == 302, (page, target, who)
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert response.status_code == expected, (page, target, who)


def test_an_unknown_indicator_is_404(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "qc_admin")
    assert client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/nope/dashboard/").status_code == 404
    assert client.get("/indicators/nope/comparison/").status_code == 404


def test_the_hospital_page_links_each_row_to_its_dashboard(cast: Cast, block: Indicator) -> None:
    body = browser(cast, "head_a").get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026").content.decode()
    assert f'href="/hospitals/{cast.hospital_a.pk}/indicators/t.nerve_block_success/dashboard/?year=2026"' in body


def island(body: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S)
    assert found, element_id
    return json.loads(found.group(1))


def test_the_dashboard_flags_a_month_outside_its_p_chart_limits(cast: Cast, block: Indicator) -> None:
    months = {m: (95, 100) for m in range(1, 13)}
    months[7] = (70, 100)
    put(cast.hospital_a, block, months)
    body = browser(cast, "head_a").get(dashboard_url(cast.hospital_a, block)).content.decode()
    data = island(body, "trend-data")
    assert data["out"] == [m == 7 for m in range(1, 13)]
    assert data["rate"][6] == 70.0 and data["target"] == 93.0
    assert data["centre"] == pytest.approx(1115 / 12)
    listed = re.search(r'<ul data-testid="outside">(.*?)</ul>', body, re.S)
    assert listed is not None
    assert "7 月：70%（70/100），控制限" in listed.group(1)
    assert listed.group(1).count("<li>") == 1
    assert 'id="month-7" class="out-of-control"' in body
    assert "vendor/chartjs/chart.umd.min.js" in body and "js/indicator-charts.js" in body


def test_the_dashboard_has_an_empty_state(cast: Cast, block: Indicator) -> None:
    body = browser(cast, "head_a").get(dashboard_url(cast.hospital_a, block)).content.decode()
    assert "本年度尚未填报该指标的数据" in body
    assert "<canvas" not in body


def many_hospitals(count: int, level: str = Level.L3A, prefix: str = "医院") -> list[Hospital]:
    return [HospitalFactory(name=f"{prefix}{n:02d}", level=level) for n in range(count)]


def test_comparison_ranks_and_percentiles_stay_within_the_level(cast: Cast, block: Indicator) -> None:
    c, d = many_hospitals(2)
    put(cast.hospital_a, block, {1: (90, 100)})  # 3A: 90%
    put(c, block, {1: (99, 100)})  # 3A: 99%
    put(d, block, {1: (80, 100), 2: (0, 0)})  # 3A: 80%
    put(cast.hospital_b, block, {1: (50, 100)})  # 2A alone: 50%
    levels = browser(cast, "qc_admin").get(comparison_url(block)).context["levels"]
    by_level = {
        lv["level"]: [(r["hospital"].name, r["rank"].rank, r["percentile"]) for r in lv["rows"]] for lv in levels
    }
    assert by_level == {
        "3A": [("医院00", 1, "100"), ("甲医院", 2, "50"), ("医院01", 3, "0")],
        "2A": [("乙医院", 1, "100")],
    }
    three_a = levels[0]
    assert three_a["pooled"] == "89.67%"
    assert [r["met"] for r in three_a["rows"]] == [True, False, False]  # ≥93% for 3A
    assert levels[1]["rows"][0]["met"] is False  # ≥90% for 2A
    assert three_a["chart"]["n"][-1] == 100 and len(three_a["chart"]["points"]) == 3


def test_lower_is_better_ranks_the_lowest_first_and_funnel_bands_are_named(cast: Cast, deaths: Indicator) -> None:
    c, d = many_hospitals(2)
    put(cast.hospital_a, deaths, {1: (1, 1000)})
    put(c, deaths, {1: (2, 1000)})
    put(d, deaths, {1: (30, 1000)})
    body = browser(cast, "qc_admin").get(comparison_url(deaths)).content.decode()
    level = re.search(r'data-testid="level-3A">(.*?)</section>', body, re.S)
    assert level is not None
    names = re.findall(r'<th scope="row">(.*?)</th>', level.group(1))
    assert names == ["甲医院", "医院00", "医院01"]
    assert "超出 99.8% 控制限" in level.group(1)
    assert '<script id="funnel-data-3A" type="application/json">' in body


def export_rows(cast: Cast, block: Indicator, fmt: str) -> list[list[object]]:
    response = browser(cast, "qc_admin").get(comparison_url(block, fmt))
    assert response.status_code == 200
    if fmt == "csv":
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response.content.startswith("\ufeff".encode())
        return [list(r) for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))]
    assert response["Content-Disposition"] == 'attachment; filename="t.nerve_block_success-2026-comparison.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_csv_export_has_a_bom_and_the_table(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, {1: (95, 100)})
    assert export_rows(cast, block, "csv") == [
        ["级别", "医院", "分子", "分母", "率", "单位", "排名", "参与排名数", "百分位", "达标", "漏斗图"],
        ["三级甲等", "甲医院", "95", "100", "95.0", "%", "1", "1", "100.0", "达标", "控制限内"],
        ["二级甲等", "乙医院", "", "", "", "%", "", "", "", "", ""],
    ]


def test_xlsx_export_opens_with_the_same_table(cast: Cast, block: Indicator) -> None:
    put(cast.hospital_a, block, {1: (95, 100)})
    put(cast.hospital_b, block, {1: (40, 50)})
    assert export_rows(cast, block, "xlsx") == [
        ["级别", "医院", "分子", "分母", "率", "单位", "排名", "参与排名数", "百分位", "达标", "漏斗图"],
        ["三级甲等", "甲医院", 95, 100, 95, "%", 1, 1, 100, "达标", "控制限内"],
        ["二级甲等", "乙医院", 40, 50, 80, "%", 1, 1, 100, "未达标", "控制限内"],
    ]


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_comparison_queries_do_not_grow_with_hospitals(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "qc_admin")
    put(cast.hospital_a, block, {m: (9, 10) for m in range(1, 13)})
    put(cast.hospital_b, block, {m: (9, 10) for m in range(1, 13)})
    two = [count_queries(client, comparison_url(block, fmt)) for fmt in ("", "csv", "xlsx")]
    for n, hospital in enumerate(many_hospitals(2) + many_hospitals(2, Level.L2B, "二级医院")):
        put(hospital, block, {m: (n, 10) for m in range(1, 13)})
    six = [count_queries(client, comparison_url(block, fmt)) for fmt in ("", "csv", "xlsx")]
    assert two == six
    assert six[0] <= 6


def test_dashboard_queries_do_not_grow_with_months(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "head_a")
    put(cast.hospital_a, block, {1: (9, 10)})
    one = count_queries(client, dashboard_url(cast.hospital_a, block))
    put(cast.hospital_a, block, {m: (9, 10) for m in range(2, 13)})
    assert count_queries(client, dashboard_url(cast.hospital_a, block)) == one
