"""Browser pages of indicators: the hospital's rate table and the one-year grid, for every member of the cast."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Hospital
from indicators.models import Indicator, IndicatorSet, PeriodValue
from indicators.services import period_values_set
from tests.conftest import CAST, Cast
from tests.indicators.factories import IndicatorFactory, IndicatorSetFactory

# Until anesqc/urls.py includes indicators.urls, the pages are reached through a test URLconf.
pytestmark = [pytest.mark.django_db]

LOGIN = "login"  # anonymous visitors are sent to the login page
SAVED = "saved"  # a successful POST redirects back to the grid

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "hospital": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "grid": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "grid-post": {"A": (SAVED, 403, 404, SAVED, SAVED, 404, LOGIN), "B": (SAVED, 404, 404, 404, 404, SAVED, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]


def more_indicators(family: IndicatorSet, count: int) -> list[Indicator]:
    return [
        IndicatorFactory(
            indicator_set=family,
            code=f"t.extra_{n}",
            position=10 + n,
            name=f"附加指标{n}",
            numerator_text="分子",
            denominator_text="分母",
            unit="permille",
            direction="lower",
            target_comparator="le",
            target_value=Decimal("5"),
        )
        for n in range(count)
    ]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def grid_url(hospital: Hospital, indicator: Indicator, year: int = 2026) -> str:
    return f"/hospitals/{hospital.pk}/indicators/{indicator.code}/{year}/"


def twelve(numerators: list[object], denominators: list[object]) -> dict[str, object]:
    data: dict[str, object] = {}
    for month, (n, d) in enumerate(zip(numerators, denominators, strict=True), start=1):
        data[f"m{month}-numerator"] = n
        data[f"m{month}-denominator"] = d
    return data


def cell(body: str, element_id: str) -> str:
    found = re.search(rf'<td[^>]*id="{element_id}"[^>]*>(.*?)</td>', body, re.S)
    assert found, element_id
    return found.group(1)


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_page_permissions(cast: Cast, block: Indicator, page: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target == "A" else cast.hospital_b
    client = browser(cast, who)
    if page == "hospital":
        response = client.get(f"/hospitals/{hospital.pk}/indicators/?year=2026&set=t")
    elif page == "grid":
        response = client.get(grid_url(hospital, block))
    else:
        response = client.post(grid_url(hospital, block), twelve([95] * 12, [100] * 12))
    expected = EXPECTED[page][target][CAST.index(who)]
    if expected == LOGIN:
        assert response.status_code == 302, (page, target, who)
        assert response["Location"].startswith("/accounts/login/?next=")
    elif expected == SAVED:
        assert response.status_code == 302, (page, target, who)
        assert response["Location"] == grid_url(hospital, block)
        assert PeriodValue.objects.filter(hospital=hospital, indicator=block).count() == 12
    else:
        assert response.status_code == expected, (page, target, who)
    if page == "grid-post" and expected != SAVED:
        assert not PeriodValue.objects.exists()


def test_readers_see_values_but_no_inputs(cast: Cast, block: Indicator) -> None:
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"3": {"numerator": 41, "denominator": 43}},
    )
    reader = browser(cast, "inspector").get(grid_url(cast.hospital_a, block)).content.decode()
    assert "<input" not in reader.split('class="value-grid"')[1]
    assert ">41<" in reader and ">43<" in reader
    writer = browser(cast, "staff_a").get(grid_url(cast.hospital_a, block)).content.decode()
    assert 'name="m3-numerator" value="41" inputmode="numeric"' in writer
    assert '<label for="m3-numerator" class="visually-hidden">3 月分子</label>' in writer
    assert 'name="m4-numerator" value=""' in writer


def test_twelve_months_posted_without_paste_are_stored_and_rated(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "head_a")
    response = client.post(grid_url(cast.hospital_a, block), twelve([95] * 12, [100] * 12), follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "已保存 2026 年“神经阻滞麻醉成功率”的月度数据" in body
    assert sorted(PeriodValue.objects.values_list("month", "numerator", "denominator")) == [
        (m, 95, 100) for m in range(1, 13)
    ]
    assert "95%" in cell(body, "rate-m7")
    assert "95% CI" in cell(body, "rate-m7")
    assert "1140/1200" in body  # the year is the sum of months
    assert "达标" in body


def test_one_bad_month_stores_nothing_and_names_month_and_field(cast: Cast, block: Indicator) -> None:
    numerators: list[object] = [95] * 12
    numerators[2] = 101
    response = browser(cast, "head_a").post(grid_url(cast.hospital_a, block), twelve(numerators, [100] * 12))
    assert response.status_code == 400
    body = response.content.decode()
    assert "3 月分子（101）不能大于分母（100）" in body
    assert 'id="m3-numerator" name="m3-numerator" value="101" inputmode="numeric"' in body
    assert 'data-field="numerator" aria-invalid="true" aria-describedby="m3-numerator-error"' in body
    assert body.count('aria-invalid="true"') == 1
    assert 'name="m1-numerator" value="95"' in body  # what the user typed stays on screen
    assert not PeriodValue.objects.exists()


def test_a_negative_or_half_filled_month_is_named_too(cast: Cast, block: Indicator) -> None:
    data = twelve([""] * 12, [""] * 12)
    data.update({"m4-numerator": "-1", "m4-denominator": "10", "m5-numerator": "3"})
    body = browser(cast, "staff_a").post(grid_url(cast.hospital_a, block), data).content.decode()
    assert "4 月分子" in body and "5 月分母" in body
    assert body.count('aria-invalid="true"') == 2
    assert not PeriodValue.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("²", "4 月分子“²”不是不小于 0 的整数。"),  # a digit to str.isdigit(), no number to int()
        ("99999999999", "4 月分子不能超过 2147483647。"),  # more than the integer column holds
        ("1.5", "4 月分子“1.5”不是不小于 0 的整数。"),
    ],
)
def test_a_count_that_is_no_storable_integer_is_named_at_its_cell(
    cast: Cast, block: Indicator, typed: str, message: str
) -> None:
    data = twelve([""] * 12, [""] * 12)
    data.update({"m1-numerator": "95", "m1-denominator": "100", "m4-numerator": typed, "m4-denominator": "100"})
    response = browser(cast, "head_a").post(grid_url(cast.hospital_a, block), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'<small class="field-error" id="m4-numerator-error">{message}</small>' in body
    assert body.count('aria-invalid="true"') == 1
    assert not PeriodValue.objects.exists()


@pytest.mark.parametrize("year", ["²", "abc", "1999", "99999999999", ""])
def test_a_bad_year_in_the_query_shows_this_year(cast: Cast, block: Indicator, year: str) -> None:
    this_year = timezone.localdate().year
    client = browser(cast, "qc_admin")
    page = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/", {"year": year})
    assert page.status_code == 200 and page.context["year"] == this_year
    dashboard = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/{block.code}/dashboard/", {"year": year})
    assert dashboard.status_code == 200 and dashboard.context["year"] == this_year
    comparison = client.get(f"/indicators/{block.code}/comparison/", {"year": year})
    assert comparison.status_code == 200 and comparison.context["year"] == this_year


def test_an_explicit_zero_month_shows_no_data_and_a_missing_month_shows_nothing(cast: Cast, block: Indicator) -> None:
    data = twelve([""] * 12, [""] * 12)
    data.update({"m1-numerator": "30", "m1-denominator": "40", "m2-numerator": "0", "m2-denominator": "0"})
    body = browser(cast, "head_a").post(grid_url(cast.hospital_a, block), data, follow=True).content.decode()
    assert set(PeriodValue.objects.values_list("month", flat=True)) == {1, 2}
    assert "无数据" in cell(body, "rate-m2")
    assert cell(body, "rate-m3").strip() == ""
    assert "75%" in cell(body, "rate-m1")
    assert 'name="m2-numerator" value="0"' in body
    assert 'name="m3-numerator" value=""' in body


def test_emptying_a_month_removes_it(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "head_a")
    client.post(grid_url(cast.hospital_a, block), twelve([1] * 12, [2] * 12))
    data = twelve([1] * 12, [2] * 12)
    data.update({"m12-numerator": "", "m12-denominator": ""})
    client.post(grid_url(cast.hospital_a, block), data)
    assert set(PeriodValue.objects.values_list("month", flat=True)) == set(range(1, 12))


def test_the_hospital_page_shows_target_rate_interval_flags_and_quarters(cast: Cast, block: Indicator) -> None:
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"1": {"numerator": 9, "denominator": 10}, "4": {"numerator": 0, "denominator": 0}},
    )
    body = browser(cast, "inspector").get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026").content.decode()
    assert "神经阻滞麻醉成功率" in body
    assert "≥93%" in body
    assert "90%" in body and "95% CI" in body
    assert "例数过少" in body  # 10 < 30
    assert "未达标" in body
    assert "无数据" in body  # Q2 is 0/0
    assert f"/hospitals/{cast.hospital_a.pk}/indicators/t.nerve_block_success/2026/" in body
    assert "本年度尚未填报任何指标数据" not in body


def test_the_target_follows_the_hospital_level(cast: Cast, block: Indicator) -> None:
    body = browser(cast, "head_b").get(f"/hospitals/{cast.hospital_b.pk}/indicators/?year=2026").content.decode()
    assert "≥90%" in body and "≥93%" not in body


def test_small_targets_are_shown_exactly(cast: Cast) -> None:
    # The shipped 2011 set: paraplegia after neuraxial anaesthesia ≤0.001% (issue 13, D6: it showed ≤0%).
    body = browser(cast, "head_a").get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=cq2011")
    text = body.content.decode()
    assert "椎管内麻醉截瘫发生率" in text
    assert "≤0.001%" in text and "≤0%" not in text
    assert "≤0.02%" in text


def test_the_hospital_page_has_an_empty_state(cast: Cast, block: Indicator) -> None:
    body = browser(cast, "head_a").get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026").content.decode()
    assert "本年度尚未填报任何指标数据" in body
    assert "无数据" in body


def test_sets_are_tabs_and_the_set_parameter_chooses_one(cast: Cast, block: Indicator) -> None:
    other = IndicatorSetFactory(code="u", name="另一指标集")
    more_indicators(other, 1)
    client = browser(cast, "qc_admin")
    first = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026").content.decode()
    assert "神经阻滞麻醉成功率" in first and "附加指标0" not in first
    second = client.get(f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=u").content.decode()
    assert "附加指标0" in second and "神经阻滞麻醉成功率" not in second
    assert 'href="?year=2026&amp;set=u" aria-current="page"' in second


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response: HttpResponse = client.get(url)
    assert response.status_code == 200
    return len(queries)


def fill(cast: Cast, indicator: Indicator, months: int) -> None:
    period_values_set(
        actor=cast.qc_admin,
        hospital=cast.hospital_a,
        indicator=indicator,
        year=2026,
        months={str(m): {"numerator": 1, "denominator": 2} for m in range(1, months + 1)},
    )


def test_query_counts_do_not_grow_with_months(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "head_a")
    page = f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=t"
    fill(cast, block, 1)
    one = (count_queries(client, page), count_queries(client, grid_url(cast.hospital_a, block)))
    fill(cast, block, 12)
    twelve_months = (count_queries(client, page), count_queries(client, grid_url(cast.hospital_a, block)))
    assert one == twelve_months


def test_query_counts_do_not_grow_with_indicators(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "inspector")
    page = f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2026&set=t"
    fill(cast, block, 12)
    one = count_queries(client, page)
    for indicator in more_indicators(block.indicator_set, 8):
        fill(cast, indicator, 12)
    assert count_queries(client, page) == one
    assert count_queries(client, grid_url(cast.hospital_a, block)) <= one
