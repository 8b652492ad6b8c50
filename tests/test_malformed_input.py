"""Malformed input answers 400 with a message naming the field or the file, and stores nothing (issue 12, L1).

Each case was a 500 before: a parser's RecursionError, a Unicode digit that passes str.isdigit()
but not int(), an id beyond the database's integer range, a date one day short of the calendar's
end, a CSV field over the csv module's limit, an XLSX without its workbook part or with broken XML.
"""

import io
import zipfile

import pytest
from django.test import Client

from audit.models import AuditEvent
from indicators.models import Case, CaseImport
from rectification.models import RectificationItem
from scoring.models import AssessmentKind, Rating
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

NESTED = "[" * 200_000 + "]" * 200_000
HUGE_ID = "99999999999999999999"
CSV_HEADER = "case_id,date,anesthesia_type,asa,emergency,block_failed,anesthesia_death\n"


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/v1/assessments/"])
def test_deeply_nested_json_is_a_400_not_a_crash(cast: Cast, url: str) -> None:
    client = cast.client("head_a") if url != "/api/v1/auth/token/" else Client()
    response = client.post(url, NESTED, content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_a_nested_rating_body_stores_nothing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-1/", NESTED, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    ("url", "who"),
    [
        (f"/api/v1/assessments/?hospital={HUGE_ID}", "qc_admin"),
        (f"/api/v1/assessments/?year={HUGE_ID}", "qc_admin"),
        (f"/api/v1/reports/?assessment={HUGE_ID}", "qc_admin"),
        (f"/api/v1/audit/events/?hospital={HUGE_ID}", "qc_admin"),
        ("/api/v1/audit/events/?until=9999-12-31", "qc_admin"),
    ],
)
def test_out_of_range_filters_answer_400_naming_the_field_in_the_api(cast: Cast, url: str, who: str) -> None:
    response = cast.client(who).get(url)
    assert response.status_code == 400, response.content[:300]
    field = url.split("?")[1].split("=")[0]
    assert field in response.json()


@pytest.mark.parametrize(
    "url",
    [
        f"/assessments/?hospital={HUGE_ID}",
        f"/reports/?assessment={HUGE_ID}",
        f"/rectification/?hospital={HUGE_ID}",
        f"/rectification/?year={HUGE_ID}",
        f"/audit/?hospital={HUGE_ID}",
        "/audit/?until=9999-12-31",
        "/audit/events.csv?until=9999-12-31",
    ],
)
def test_out_of_range_filters_answer_400_on_the_pages(cast: Cast, url: str) -> None:
    response = browser(cast, "qc_admin").get(url)
    assert response.status_code == 400, (url, response.status_code)


def test_a_unicode_digit_as_rectification_owner_is_a_field_error(cast: Cast) -> None:
    from tests.rectification.conftest import plan

    item = plan(cast, cast.hospital_a, partial={}, unmet=["1.1-1-1"], year=2026)[0]
    before = (item.owner_id, item.due_date)

    response = browser(cast, "inspector").post(f"/rectification/{item.pk}/assign/", {"owner": "²", "due_date": ""})

    assert response.status_code in (400, 302)
    item = RectificationItem.objects.get(pk=item.pk)
    assert (item.owner_id, item.due_date) == before
    if response.status_code == 302:
        follow = browser(cast, "inspector").get(response.url)
        assert "负责人" in follow.content.decode() or "责任人" in follow.content.decode()


def _case_upload(cast: Cast, content: bytes, name: str) -> tuple[str, dict]:
    """The same file through the page (which shows a rejected import with its errors) and the API (400)."""
    page_file, api_file = io.BytesIO(content), io.BytesIO(content)
    page_file.name = api_file.name = name
    page = browser(cast, "head_a").post(f"/hospitals/{cast.hospital_a.pk}/cases/", {"file": page_file})
    assert page.status_code == 200  # the page shows the rejected import (as for any refused file)
    api = cast.client("head_a").post(
        f"/api/v1/hospitals/{cast.hospital_a.pk}/cases/", {"file": api_file}, format="multipart"
    )
    assert api.status_code == 400, api.content[:300]
    return page.content.decode(), api.json()


def test_a_csv_field_over_the_csv_modules_limit_is_refused_naming_the_row(cast: Cast) -> None:
    body = CSV_HEADER + "p1,2026-05-01,general,2,0,0,0\n" + "p2,2026-05-01," + "x" * 140_000 + ",2,0,0,0\n"
    page, api = _case_upload(cast, body.encode(), "cases.csv")
    assert "第 3 行无法读取" in page
    assert api["status"] == CaseImport.Status.REJECTED and api["errors"][0]["row"] == 3
    assert not Case.objects.exists()


def _xlsx_without_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("docProps/app.xml", "<Properties/>")
    return out.getvalue()


def _xlsx_with_broken_sheet() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["case_id", "date"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # truncated mid-element
            archive.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize("build", [_xlsx_without_workbook, _xlsx_with_broken_sheet])
def test_a_broken_xlsx_case_file_is_refused(cast: Cast, build) -> None:
    page, api = _case_upload(cast, build(), "cases.xlsx")
    assert "不是有效的 XLSX 工作簿" in page
    assert api["status"] == CaseImport.Status.REJECTED
    assert not Case.objects.exists()


@pytest.mark.parametrize("build", [_xlsx_without_workbook, _xlsx_with_broken_sheet])
def test_a_broken_score_sheet_is_refused(cast: Cast, build) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    upload = io.BytesIO(build())
    upload.name = "评分表.xlsx"
    events = AuditEvent.objects.changes().count()

    response = browser(cast, "head_a").post(f"/assessments/{assessment.pk}/sheet/", {"file": upload})

    assert response.status_code == 400
    assert not Rating.objects.exists()
    assert AuditEvent.objects.changes().count() == events
    api = io.BytesIO(build())
    api.name = "评分表.xlsx"
    answer = cast.client("head_a").post(
        f"/api/v1/assessments/{assessment.pk}/sheet/", {"file": api}, format="multipart"
    )
    assert answer.status_code == 400
