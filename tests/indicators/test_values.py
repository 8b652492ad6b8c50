"""Monthly counts: validation naming month and field, all or nothing, rates through the API, suggestions."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from audit.models import AuditEvent
from indicators.models import Indicator, PeriodValue
from indicators.selectors import suggestions_for
from indicators.services import period_values_set
from scoring.models import Criterion
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory
from workspace.services import rating_save

pytestmark = pytest.mark.django_db


def test_counts_are_stored_and_a_null_month_is_missing_not_zero(cast: Cast, block: Indicator) -> None:
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"1": {"numerator": 95, "denominator": 100}, "2": {"numerator": 0, "denominator": 0}, "3": None},
    )
    stored = dict(PeriodValue.objects.values_list("month", "denominator"))
    assert stored == {1: 100, 2: 0}
    period_values_set(actor=cast.head_a, hospital=cast.hospital_a, indicator=block, year=2026, months={"2": None})
    assert set(PeriodValue.objects.values_list("month", flat=True)) == {1}


@pytest.mark.parametrize(
    ("months", "key", "words"),
    [
        ({"3": {"numerator": 101, "denominator": 100}}, "months.3.numerator", "3 月分子（101）不能大于分母（100）"),
        ({"4": {"numerator": -1, "denominator": 100}}, "months.4.numerator", "4 月分子"),
        ({"5": {"numerator": 1.5, "denominator": 100}}, "months.5.numerator", "5 月分子"),
        ({"6": {"numerator": 1, "denominator": "abc"}}, "months.6.denominator", "6 月分母"),
        ({"13": {"numerator": 1, "denominator": 2}}, "months.13", "不是月份"),
    ],
)
def test_bad_input_names_month_and_field_and_stores_nothing(
    cast: Cast, block: Indicator, months: dict, key: str, words: str
) -> None:
    good = {"1": {"numerator": 95, "denominator": 100}}
    with pytest.raises(ValidationError) as exc:
        period_values_set(actor=cast.head_a, hospital=cast.hospital_a, indicator=block, year=2026, months=good | months)
    assert key in exc.value.message_dict
    assert words in exc.value.message_dict[key][0]
    assert not PeriodValue.objects.exists()


def test_the_api_computes_rates_never_takes_them(cast: Cast, block: Indicator) -> None:
    url = f"/api/v1/hospitals/{cast.hospital_a.pk}/indicators/2026/{block.code}/"
    response = cast.client("staff_a").put(
        url,
        {"months": {"1": {"numerator": 93, "denominator": 100}, "2": {"numerator": 9, "denominator": 10}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["months"]["1"]["value"] == "93" and body["months"]["1"]["met"] is True
    assert body["months"]["2"]["too_few"] is True
    assert body["months"]["3"] is None
    assert body["quarters"]["1"]["numerator"] == 102 and body["quarters"]["1"]["denominator"] == 110
    assert body["year"]["ci95"][0] < body["year"]["value"] < body["year"]["ci95"][1]
    bad = cast.client("staff_a").put(url, {"months": {"7": {"numerator": 5, "denominator": 4}}}, format="json")
    assert bad.status_code == 400 and "months.7.numerator" in bad.json()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("²", "4 月分子“²”不是不小于 0 的整数。"),
        ("99999999999", "4 月分子不能超过 2147483647。"),
        (99999999999, "4 月分子不能超过 2147483647。"),
    ],
)
def test_the_api_names_a_bad_count_as_the_grid_does(cast: Cast, block: Indicator, typed: object, message: str) -> None:
    url = f"/api/v1/hospitals/{cast.hospital_a.pk}/indicators/2026/{block.code}/"
    months = {"1": {"numerator": 1, "denominator": 2}, "4": {"numerator": typed, "denominator": 100}}
    response = cast.client("staff_a").put(url, {"months": months}, format="json")
    assert response.status_code == 400
    assert response.json() == {"months.4.numerator": [message]}
    assert not PeriodValue.objects.exists()


@pytest.mark.parametrize("year", ["²", "abc", "1999", "2101", "99999999999"])
def test_the_comparison_api_refuses_a_bad_year_naming_it(cast: Cast, block: Indicator, year: str) -> None:
    response = cast.client("qc_admin").get(f"/api/v1/indicators/{block.code}/comparison/", {"year": year})
    assert response.status_code == 400
    assert response.json() == {"year": ["请用 ?year= 指定年度（2000–2100），例如 2026。"]}


# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "list": {"-": (200, 200, 200, 200, 200, 200, 401)},
    "read": {"A": (200, 200, 404, 200, 200, 404, 401), "B": (200, 404, 404, 404, 404, 200, 401)},
    "write": {"A": (200, 403, 404, 200, 200, 404, 401), "B": (200, 404, 404, 404, 404, 200, 401)},
    "suggestions": {"A": (200, 200, 404, 200, 200, 404, 401), "B": (200, 404, 404, 404, 404, 200, 401)},
}


@pytest.mark.parametrize(("page", "target", "who"), [(p, t, w) for p, r in EXPECTED.items() for t in r for w in CAST])
def test_indicator_api_permissions(cast: Cast, block: Indicator, page: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target in ("A", "-") else cast.hospital_b
    client = cast.client(who)
    if page == "list":
        response = client.get("/api/v1/indicators/")
    elif page == "read":
        response = client.get(f"/api/v1/hospitals/{hospital.pk}/indicators/2026/")
    elif page == "write":
        response = client.put(
            f"/api/v1/hospitals/{hospital.pk}/indicators/2026/{block.code}/",
            {"months": {"1": {"numerator": 1, "denominator": 2}}},
            format="json",
        )
    else:
        assessment = AssessmentFactory(hospital=hospital)
        response = client.get(f"/api/v1/assessments/{assessment.pk}/suggestions/")
    assert response.status_code == EXPECTED[page][target][CAST.index(who)]
    if page == "write" and response.status_code != 200:
        assert not PeriodValue.objects.exists()


def test_indicators_suggest_a_rating_for_their_criterion(cast: Cast, block: Indicator) -> None:
    assert suggestions_for(cast.hospital_a, 2026)["4.2-1-1"]["rating"] is None  # no data
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"1": {"numerator": 930, "denominator": 1000}},
    )
    assert suggestions_for(cast.hospital_a, 2026)["4.2-1-1"]["rating"] == "met"
    period_values_set(
        actor=cast.head_a,
        hospital=cast.hospital_a,
        indicator=block,
        year=2026,
        months={"2": {"numerator": 900, "denominator": 1000}},
    )
    assert suggestions_for(cast.hospital_a, 2026)["4.2-1-1"]["rating"] == "unmet"  # 1830/2000 = 91.5%
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    body = cast.client("inspector").get(f"/api/v1/assessments/{assessment.pk}/suggestions/").json()
    assert body["4.2-1-1"]["suggested_rating"] == "unmet"
    assert body["4.2-1-1"]["indicators"][0]["year"]["value"] == "91.5"


def test_an_override_of_the_suggestion_is_in_the_history(cast: Cast, block: Indicator) -> None:
    period_values_set(
        actor=cast.head_a, hospital=cast.hospital_a, indicator=block, year=2026,
        months={"1": {"numerator": 900, "denominator": 1000}},
    )  # fmt: skip
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind="inspection")
    criterion = Criterion.objects.get(standard__code="cq2011", code="4.2-1-1")
    rating_save(
        actor=cast.inspector,
        assessment=inspection,
        criterion=criterion,
        rating="met",
        remark="抽查病历，成功率统计口径有误",
    )
    event = AuditEvent.objects.filter(action="rating.set").latest("id")
    assert event.after["suggested"] == "unmet" and event.after["rating"] == "met"
    browser = Client()
    browser.force_login(cast.inspector)
    html = browser.get(f"/assessments/{inspection.pk}/chapters/4/").content.decode()
    assert "质控指标建议" in html and "90%" in html
    history = browser.get(f"/assessments/{inspection.pk}/history/?criterion=4.2-1-1").content.decode()
    assert "指标建议" in history
