"""The profile API: facts by year, evaluations, rules, shortfalls — every endpoint × the cast × own/foreign."""

from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from departments.models import CriterionRule, DepartmentProfile
from tests.conftest import CAST, Cast
from tests.departments.factories import DepartmentProfileFactory
from tests.departments.test_profiles import BAD_COUNTS, CHANGE, SEE, YEAR, hospital

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_profile_read_write_and_evaluations(cast: Cast, who: str, which: str) -> None:
    client = cast.client(who)
    base = f"/api/v1/hospitals/{hospital(cast, which).pk}/profiles/{YEAR}/"
    if who == "anonymous":
        assert client.get(base).status_code == 401
        assert client.put(base, {"facts": {"or_tables": 3}}, format="json").status_code == 401
        return
    assert client.get(base).status_code == SEE[(who, which)]
    assert client.get(base + "evaluations/").status_code == SEE[(who, which)]
    response = client.put(base, {"facts": {"or_tables": 3, "monitors": 2}}, format="json")
    assert response.status_code == CHANGE[(who, which)]
    assert DepartmentProfile.objects.filter(or_tables=3).exists() == (CHANGE[(who, which)] == 200)


@pytest.mark.parametrize("who", CAST)
def test_the_list_shows_only_visible_hospitals(cast: Cast, who: str) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_a, year=YEAR, or_tables=1)
    DepartmentProfileFactory(hospital=cast.hospital_b, year=YEAR, or_tables=2)
    response = cast.client(who).get("/api/v1/profiles/", {"year": YEAR})
    if who == "anonymous":
        assert response.status_code == 401
        return
    seen = {row["hospital"] for row in response.json()}
    expected = {h.pk for which, h in (("a", cast.hospital_a), ("b", cast.hospital_b)) if SEE[(who, which)] == 200}
    assert seen == expected


def test_evaluations_carry_the_numbers_and_the_suggestion(cast: Cast) -> None:
    client = cast.client("head_a")
    base = f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/{YEAR}/"
    client.put(base, {"facts": {"aicu_beds": 10, "aicu_nurses": 25, "aicu_doctors": 7}}, format="json")
    rows = {row["criterion"]: row for row in client.get(base + "evaluations/").json()}
    nurses = rows["2.1-3-1"]
    assert nurses["suggested_rating"] == "unmet"
    assert nurses["outcome"] | {"parts": []} == {
        "met": False,
        "text": nurses["outcome"]["text"],
        "have": 25,
        "need": 30,
        "short": 5,
        "parts": [],
        "met_by": None,  # only alternatives ("any") name the one met (issue 14)
    }
    assert "需 30 名，现 25 名，缺 5 名" in nurses["lines"][0]
    assert rows["2.1-3-2"]["suggested_rating"] == "met"
    assert rows["3.1-2-1"]["suggested_rating"] is None  # not entered


def test_bad_facts_answer_400_by_field_and_store_nothing(cast: Cast) -> None:
    client = cast.client("head_a")
    base = f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/{YEAR}/"
    response = client.put(
        base, {"facts": {"or_tables": -1, "monitors": "x", "pain_clinic_area": "1e3", "unicorns": 1}}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert {"or_tables", "monitors", "pain_clinic_area", "non_field_errors"} <= set(body)
    assert not DepartmentProfile.objects.exists() and not AuditEvent.objects.filter(action="profile.save").exists()


def test_the_api_names_bad_counts_as_the_page_does(cast: Cast) -> None:
    url = f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/{YEAR}/"
    facts = {name: typed for name, (typed, _m) in BAD_COUNTS.items()}
    response = cast.client("head_a").put(url, {"facts": facts}, format="json")
    assert response.status_code == 400
    assert response.json() == {name: [message] for name, (_typed, message) in BAD_COUNTS.items()}
    assert not DepartmentProfile.objects.exists()


@pytest.mark.parametrize("year", ["²", "abc", "1999", "99999999999"])
def test_a_bad_year_in_the_query_means_this_year(cast: Cast, year: str) -> None:
    this_year = timezone.localdate().year
    DepartmentProfileFactory(hospital=cast.hospital_a, year=this_year, or_tables=1)
    client = cast.client("qc_admin")
    listing = client.get("/api/v1/profiles/", {"year": year, "hospital": "²"})
    assert listing.status_code == 200 and [p["year"] for p in listing.json()] == [this_year]
    assert client.get("/api/v1/profiles/shortfalls/", {"year": year}).json()["year"] == this_year


@pytest.mark.parametrize("who", CAST)
def test_rules_read_by_all_and_set_by_the_qc_centre(cast: Cast, who: str) -> None:
    client = cast.client(who)
    listing = client.get("/api/v1/rules/", {"year": YEAR})
    body: dict[str, Any] = {"valid_from": 2027, "rule": {"needs": {"fact": "monitors", "of": [["or_tables", "2"]]}}}
    response = client.put("/api/v1/rules/3.1-2-1/", body, format="json")
    if who == "anonymous":
        assert listing.status_code == 401 and response.status_code == 401
        return
    assert listing.status_code == 200 and any(r["criterion"] == "2.1-3-2" for r in listing.json())
    assert response.status_code == (200 if who == "qc_admin" else 403)
    assert CriterionRule.objects.filter(valid_from=2027).exists() == (who == "qc_admin")


def test_a_new_rule_applies_from_its_year_and_the_old_one_before(cast: Cast) -> None:
    admin = cast.client("qc_admin")
    rule = {"needs": {"fact": "monitors", "of": [["or_tables", "2"]]}}
    assert admin.put("/api/v1/rules/3.1-2-1/", {"valid_from": 2027, "rule": rule}, format="json").status_code == 200
    head = cast.client("head_a")
    for year in (2026, 2027):
        head.put(
            f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/{year}/",
            {"facts": {"or_tables": 10, "monitors": 10}},
            format="json",
        )
    rows = {
        year: {
            r["criterion"]: r
            for r in head.get(f"/api/v1/hospitals/{cast.hospital_a.pk}/profiles/{year}/evaluations/").json()
        }
        for year in (2026, 2027)
    }
    assert rows[2026]["3.1-2-1"]["suggested_rating"] == "met"
    assert rows[2027]["3.1-2-1"]["suggested_rating"] == "unmet"
    assert AuditEvent.objects.filter(action="rule.set").count() == 1


def test_a_malformed_rule_is_refused_and_says_where(cast: Cast) -> None:
    response = cast.client("qc_admin").put(
        "/api/v1/rules/3.1-2-1/",
        {"valid_from": 2027, "rule": {"needs": {"fact": "unicorns", "at_least": 1}}},
        format="json",
    )
    assert response.status_code == 400
    assert "needs.fact" in response.json()["rule"][0]


@pytest.mark.parametrize("who", CAST)
def test_shortfalls_api_is_the_qc_centres(cast: Cast, who: str) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_b, year=YEAR, or_tables=10, monitors=3)
    response = cast.client(who).get("/api/v1/profiles/shortfalls/", {"year": YEAR})
    assert response.status_code == {"qc_admin": 200, "anonymous": 401}.get(who, 403)
    if who == "qc_admin":
        row = next(r for r in response.json()["criteria"] if r["criterion"] == "3.1-2-1")
        assert row["unmet"] == 1 and row["levels"]["2A"]["short"][0]["name"] == "乙医院"
