"""The way into the indicator pages (issue 13, D5): the navigation, the hospital list and the comparison list.

Before these, the QC centre and inspectors reached a hospital's indicators, the city-wide comparison and its
funnel plots only by typing a URL. Who may open each page is the URL matrix's (tests/matrix/test_url_matrix.py).
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from indicators.models import Indicator
from indicators.services import period_values_set
from tests.accounts.factories import HospitalFactory
from tests.conftest import Cast
from tests.indicators.factories import IndicatorFactory, IndicatorSetFactory

pytestmark = [pytest.mark.django_db]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def nav_links(client: Client) -> dict[str, str]:
    """{text: href} of the links in the main navigation of the home page."""
    body = client.get("/").content.decode()
    nav = body.split('<nav aria-label="主导航">', 1)[1].split("</nav>", 1)[0]
    return {text.strip(): href for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)}


@pytest.mark.parametrize(
    ("who", "indicators", "comparison"),
    [
        ("qc_admin", "/indicators/", True),
        ("inspector", "/indicators/", False),
        ("inspector_unassigned", "/indicators/", False),
        ("head_a", "hospital_a", False),
        ("staff_a", "hospital_a", False),
        ("head_b", "hospital_b", False),
    ],
)
def test_the_navigation_leads_to_the_indicators_and_the_qc_centre_to_the_comparison(
    cast: Cast, who: str, indicators: str, comparison: bool
) -> None:
    links = nav_links(browser(cast, who))
    own = {"hospital_a": cast.hospital_a, "hospital_b": cast.hospital_b}.get(indicators)
    assert links["质控指标"] == (reverse("indicator-hospital", args=[own.pk]) if own else indicators)
    assert links.get("全市比较") == ("/indicators/comparison/" if comparison else None)


def test_the_indicator_home_lists_the_hospitals_one_may_see_with_what_they_entered(
    cast: Cast, block: Indicator
) -> None:
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"1": {"numerator": 95, "denominator": 100}},
    )
    everyone = browser(cast, "qc_admin").get("/indicators/?year=2026").content.decode()
    assert f'href="/hospitals/{cast.hospital_a.pk}/indicators/?year=2026">甲医院</a>' in everyone
    assert f'href="/hospitals/{cast.hospital_b.pk}/indicators/?year=2026">乙医院</a>' in everyone
    assert "1 / 1 项指标" in everyone and "未填报" in everyone
    assert 'href="/indicators/comparison/?year=2026"' in everyone

    assigned = browser(cast, "inspector").get("/indicators/?year=2026").content.decode()
    assert "甲医院" in assigned and "乙医院" not in assigned
    assert "/indicators/comparison/" not in assigned.split("<main", 1)[1]


def test_a_department_is_sent_to_its_own_hospitals_indicators(cast: Cast) -> None:
    response = browser(cast, "staff_a").get("/indicators/?year=2025")

    assert response.status_code == 302
    assert response["Location"] == f"/hospitals/{cast.hospital_a.pk}/indicators/?year=2025"


def test_the_comparison_list_opens_every_indicators_funnel_plots(cast: Cast, block: Indicator) -> None:
    other = IndicatorFactory(indicator_set=IndicatorSetFactory(code="u", name="另一指标集"), name="附加指标")

    body = browser(cast, "qc_admin").get("/indicators/comparison/?year=2025").content.decode()

    assert "测试指标集" in body and "另一指标集" in body
    assert f'href="/indicators/{block.code}/comparison/?year=2025">神经阻滞麻醉成功率</a>' in body
    assert f'href="/indicators/{other.code}/comparison/?year=2025">附加指标</a>' in body
    comparison = browser(cast, "qc_admin").get(f"/indicators/{block.code}/comparison/?year=2025").content.decode()
    assert 'href="/indicators/comparison/?year=2025"' in comparison  # and back


def test_the_new_pages_query_counts_do_not_grow_with_hospitals_or_indicators(cast: Cast, block: Indicator) -> None:
    client = browser(cast, "qc_admin")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    before = (queries("/indicators/"), queries("/indicators/comparison/"))
    for n in range(4):
        HospitalFactory(name=f"新医院{n}")
        IndicatorFactory(indicator_set=block.indicator_set, name=f"新指标{n}")
    assert (queries("/indicators/"), queries("/indicators/comparison/")) == before
