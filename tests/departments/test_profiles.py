"""Department profiles through their real URLs: every page and endpoint × the cast × own/foreign hospital."""

import io
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Hospital, Level
from audit.models import AuditEvent
from departments.models import CriterionRule, DepartmentProfile, ProfileDocument
from tests.accounts.factories import HospitalFactory
from tests.conftest import CAST, Cast
from tests.departments.factories import DepartmentProfileFactory
from tests.evidence.conftest import PDF_BYTES as PDF  # a real PDF: uploads are read by qpdf

pytestmark = pytest.mark.django_db
YEAR = 2026

# Who may see a hospital's profile (GET) and who may change it (POST), as status codes.
SEE = {
    ("qc_admin", "a"): 200, ("qc_admin", "b"): 200,
    ("inspector", "a"): 200, ("inspector", "b"): 404,
    ("inspector_unassigned", "a"): 404, ("inspector_unassigned", "b"): 404,
    ("head_a", "a"): 200, ("head_a", "b"): 404,
    ("staff_a", "a"): 200, ("staff_a", "b"): 404,
    ("head_b", "a"): 404, ("head_b", "b"): 200,
}  # fmt: skip
CHANGE = {**SEE, ("inspector", "a"): 403}


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def hospital(cast: Cast, which: str) -> Hospital:
    return cast.hospital_a if which == "a" else cast.hospital_b


def pdf(name: str = "roster.pdf") -> io.BytesIO:
    f = io.BytesIO(PDF)
    f.name = name
    return f


# ------------------------------------------------------------------ pages --


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_profile_page_and_save(cast: Cast, who: str, which: str) -> None:
    client = browser(cast, who)
    url = f"/hospitals/{hospital(cast, which).pk}/profile/{YEAR}/"
    response = client.get(url)
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert client.post(url, {"or_tables": "10"}).status_code == 302
        assert not DepartmentProfile.objects.exists()
        return
    assert response.status_code == SEE[(who, which)]
    response = client.post(url, {"or_tables": "10", "monitors": "9"})
    expected = CHANGE[(who, which)]
    assert response.status_code == (302 if expected == 200 else expected)
    assert DepartmentProfile.objects.filter(or_tables=10).exists() == (expected == 200)


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_trend_page(cast: Cast, who: str, which: str) -> None:
    DepartmentProfileFactory(hospital=hospital(cast, which), year=YEAR, or_tables=4)
    response = browser(cast, who).get(f"/hospitals/{hospital(cast, which).pk}/profile/")
    if who == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == SEE[(who, which)]


@pytest.mark.parametrize("who", CAST)
def test_profile_home(cast: Cast, who: str) -> None:
    response = browser(cast, who).get("/profiles/")
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif who in ("head_a", "staff_a", "head_b"):
        own = cast.hospital_b if who == "head_b" else cast.hospital_a
        assert response.status_code == 302 and response["Location"].startswith(f"/hospitals/{own.pk}/profile/")
    else:
        assert response.status_code == 200
        body = response.content.decode()
        assert ("甲医院" in body) == (who in ("qc_admin", "inspector"))
        assert ("乙医院" in body) == (who == "qc_admin")


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("url", ["/profiles/shortfalls/", "/profiles/shortfalls.xlsx"])
def test_shortfalls_are_the_qc_centres(cast: Cast, who: str, url: str) -> None:
    response = browser(cast, who).get(url, {"year": YEAR})
    expected = {"qc_admin": 200, "anonymous": 302}.get(who, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_documents_upload_download_delete(cast: Cast, who: str, which: str) -> None:
    target = hospital(cast, which)
    client = browser(cast, who)
    response = client.post(
        f"/hospitals/{target.pk}/profile/{YEAR}/documents/", {"fact": "clinical_staff", "files": [pdf()]}
    )
    if who == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not ProfileDocument.objects.exists()
        return
    expected = CHANGE[(who, which)]
    assert response.status_code == (302 if expected == 200 else expected)
    assert ProfileDocument.objects.exists() == (expected == 200)
    # A document uploaded by the QC centre, then read and deleted by each member of the cast.
    admin = browser(cast, "qc_admin")
    admin.post(f"/hospitals/{target.pk}/profile/{YEAR}/documents/", {"fact": "monitors", "files": [pdf("assets.pdf")]})
    document = ProfileDocument.objects.get(fact="monitors")
    response = client.get(f"/profile-documents/{document.pk}/")
    assert response.status_code == SEE[(who, which)]
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["X-Content-Type-Options"] == "nosniff"
    response = client.post(f"/profile-documents/{document.pk}/delete/")
    assert response.status_code == (302 if expected == 200 else expected)
    assert ProfileDocument.objects.filter(pk=document.pk).exists() == (expected != 200)


# ------------------------------------------------------------ bad input --


def test_bad_numbers_are_named_by_field_and_nothing_is_saved(cast: Cast) -> None:
    client = browser(cast, "head_a")
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    client.post(url, {"or_tables": "10", "monitors": "10"})
    response = client.post(url, {"or_tables": "-3", "monitors": "12", "pain_clinic_area": "50.25", "rr_beds": "两张"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "手术室内麻醉台应为不小于 0 的整数" in body
    assert "疼痛门诊建筑面积（平方米）应为不小于 0 的数，最多一位小数" in body
    assert "麻醉恢复室（RR）床位应为不小于 0 的整数" in body
    profile = DepartmentProfile.objects.get()
    assert (profile.or_tables, profile.monitors) == (10, 10)  # nothing of the bad post was kept


# A digit to str.isdigit() that int() cannot read, and a count past what the form allows (and the column holds).
BAD_COUNTS = {
    "or_tables": ("²", "手术室内麻醉台应为不小于 0 的整数，而不是“²”。"),
    "monitors": ("99999999999", "多功能监护仪（手术台用）不能超过 10000000。"),
}


def test_counts_that_are_no_storable_integer_are_named_and_nothing_is_saved(cast: Cast) -> None:
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    response = browser(cast, "head_a").post(url, {name: typed for name, (typed, _m) in BAD_COUNTS.items()})
    assert response.status_code == 422
    body = response.content.decode()
    for name, (_typed, message) in BAD_COUNTS.items():
        assert f'<small id="e-{name}" class="field-error">{message}</small>' in body
    assert not DepartmentProfile.objects.exists()


@pytest.mark.parametrize("year", ["²", "abc", "1999", "99999999999"])
def test_a_bad_year_in_the_query_shows_this_year(cast: Cast, year: str) -> None:
    this_year = timezone.localdate().year
    home = browser(cast, "qc_admin").get("/profiles/", {"year": year})
    assert home.status_code == 200 and home.context["year"] == this_year
    shortfalls = browser(cast, "qc_admin").get("/profiles/shortfalls/", {"year": year})
    assert shortfalls.status_code == 200 and shortfalls.context["year"] == this_year


def test_impossible_combinations_are_refused(cast: Cast) -> None:
    client = browser(cast, "head_a")
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    response = client.post(
        url, {"or_tables": "0", "non_or_tables": "0", "clinical_staff": "12", "aicu_beds": "0", "aicu_nurses": "3"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "有临床麻醉人员，但手术室内外麻醉台均为 0" in body
    assert "有 AICU 护士，但 AICU 床位为 0" in body
    assert not DepartmentProfile.objects.exists()


def test_empty_is_not_entered_and_zero_is_zero(cast: Cast) -> None:
    client = browser(cast, "head_a")
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    client.post(url, {"or_tables": "10", "monitors": "", "blood_salvage_machines": "0"})
    profile = DepartmentProfile.objects.get()
    assert profile.monitors is None and profile.blood_salvage_machines == 0
    body = client.get(url).content.decode()
    assert "未填写：多功能监护仪（手术台用）" in body
    assert "血液回收机：需 1 台，现 0 台，缺 1 台" in body


def test_a_save_is_audited_with_before_and_after(cast: Cast) -> None:
    client = browser(cast, "head_a")
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    client.post(url, {"or_tables": "10"})
    client.post(url, {"or_tables": "12"})
    last = AuditEvent.objects.filter(action="profile.save").order_by("-id").first()
    assert last is not None and last.before == {"or_tables": 10} and last.after == {"or_tables": 12}


def test_htmx_save_returns_the_refreshed_evaluations(cast: Cast) -> None:
    client = browser(cast, "head_a")
    url = f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/"
    response = client.post(url, {"or_tables": "10", "monitors": "8"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="profile-body"' in body and "<html" not in body
    assert "多功能监护仪（手术台用）：需 10 台，现 8 台，缺 2 台" in body


# ----------------------------------------------------------- shortfalls --


def test_city_wide_shortfalls_count_hospitals_by_level_and_export(cast: Cast) -> None:
    for i in range(3):
        h = HospitalFactory(name=f"三乙{i}", level=Level.L3B)
        DepartmentProfileFactory(hospital=h, year=YEAR, aicu_beds=10, aicu_nurses=20 + i * 5)
    client = browser(cast, "qc_admin")
    body = client.get("/profiles/shortfalls/", {"year": YEAR}).content.decode()
    assert "2 家医院" in body  # 20 and 25 nurses short of 30; 30 meets
    book = load_workbook(io.BytesIO(client.get("/profiles/shortfalls.xlsx", {"year": YEAR}).content))
    summary = {row[0]: row for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["2.1-3-1"][2] == 2
    details = [row for row in book["未达标明细"].iter_rows(min_row=2, values_only=True) if row[0] == "2.1-3-1"]
    assert {row[1] for row in details} == {"三乙0", "三乙1"}
    assert any("需 30 名，现 20 名，缺 10 名" in row[3] for row in details)


@pytest.mark.parametrize("n", [2, 4])
def test_shortfall_queries_do_not_grow_with_hospitals(cast: Cast, n: int, django_assert_max_num_queries: Any) -> None:
    for i in range(n):
        h = HospitalFactory(name=f"H{i}", level=Level.L2A)
        DepartmentProfileFactory(hospital=h, year=YEAR, or_tables=5, monitors=i)
    client = browser(cast, "qc_admin")
    client.get("/profiles/shortfalls/")
    with django_assert_max_num_queries(7):
        assert client.get("/profiles/shortfalls/", {"year": YEAR}).status_code == 200


def test_profile_page_queries_are_bounded(cast: Cast, django_assert_max_num_queries: Any) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_a, year=YEAR, or_tables=5, monitors=5)
    client = browser(cast, "head_a")
    client.get(f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/")
    with django_assert_max_num_queries(9):
        client.get(f"/hospitals/{cast.hospital_a.pk}/profile/{YEAR}/")


def test_rules_are_loaded_for_the_standard() -> None:
    assert CriterionRule.objects.filter(criterion__standard__code="cq2011").count() >= 20
