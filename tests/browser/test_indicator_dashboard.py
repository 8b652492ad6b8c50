"""The indicator dashboard and the comparison in real Chromium: Chart.js (served locally) draws the charts."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from indicators.models import Indicator, IndicatorSet
from tests.browser.conftest import screenshots
from tests.browser.test_accessibility import violations
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.indicators.factories import IndicatorFactory, PeriodValueFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def indicator() -> Indicator:
    family, _ = IndicatorSet.objects.get_or_create(code="t", defaults={"name": "测试指标集"})
    return IndicatorFactory(
        indicator_set=family,
        code="t.browser_block_success",
        position=1,
        name="神经阻滞麻醉成功率",
        numerator_text="神经阻滞成功例数",
        denominator_text="同期神经阻滞总例数",
        unit="percent",
        direction="higher",
        target_comparator="ge",
        target_value=Decimal("93"),
    )


def canvas_size(page, selector: str) -> tuple[int, int]:
    return page.eval_on_selector(selector, "c => [c.width, c.height]")


def test_the_dashboard_draws_the_trend_and_lists_the_month_out_of_control(cast: Cast, page_for: PageFor) -> None:
    block = indicator()
    for month in range(1, 13):
        numerator = 70 if month == 7 else 95
        PeriodValueFactory(
            hospital=cast.hospital_a, indicator=block, year=2026, month=month, numerator=numerator, denominator=100
        )
    page = page_for("head_a")
    page.goto(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=t")
    page.locator("#i-t\\.browser_block_success a.indicator-dashboard-link").click()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('trend-chart'))")
    width, height = canvas_size(page, "#trend-chart")
    assert width > 0 and height > 0
    expect(page.get_by_test_id("outside")).to_contain_text("7 月：70%（70/100）")
    expect(page.locator("#month-7")).to_contain_text("超出控制限")
    screenshots(page, "indicator-dashboard")
    assert violations(page) == []


def test_the_comparison_draws_a_funnel_per_level(cast: Cast, page_for: PageFor) -> None:
    block = indicator()
    PeriodValueFactory(hospital=cast.hospital_a, indicator=block, year=2026, month=1, numerator=95, denominator=100)
    page = page_for("qc_admin")
    page.goto(f"/indicators/{block.code}/comparison/?year=2026")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('funnel-3A'))")
    width, height = canvas_size(page, "#funnel-3A")
    assert width > 0 and height > 0
    expect(page.get_by_test_id("level-3A")).to_contain_text("甲医院")
    screenshots(page, "indicator-comparison")
    assert violations(page) == []
