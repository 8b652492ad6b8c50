"""Case-level import: every error by row and column, all or nothing, identity by case_id, one aggregation query."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import BooleanField
from django.test import Client

from audit.models import AuditEvent
from indicators.cases import BOOL_FIELDS, HEADER_LABELS, case_counts, case_import
from indicators.definitions import CASE_FLAGS
from indicators.models import Case, CaseImport, Indicator, PeriodValue
from tests.conftest import CAST, Cast

# The project urlconf plus the case URLs, wherever anesqc/urls.py ends up including them.
pytestmark = [pytest.mark.django_db]

HEADER = "case_id,date,anesthesia_type,asa,emergency,block_failed,anesthesia_death\n"


def csv_file(text: str, name: str = "cases.csv") -> io.BytesIO:
    f = io.BytesIO(text.encode("utf-8"))
    f.name = name
    return f


def counts(hospital_id: int) -> dict[tuple[str, int, int], tuple[int, int]]:
    return {
        (code, year, month): (n, d)
        for code, year, month, n, d in PeriodValue.objects.filter(hospital_id=hospital_id).values_list(
            "indicator__code", "year", "month", "numerator", "denominator"
        )
    }


def test_the_flag_columns_and_their_labels_come_from_the_case_model() -> None:
    flags = [f.name for f in Case._meta.local_fields if isinstance(f, BooleanField)]
    assert list(BOOL_FIELDS) == flags and set(flags) == CASE_FLAGS
    assert HEADER_LABELS["emergency"] == "急诊" and HEADER_LABELS["hypothermia"] == "低体温"
    assert HEADER_LABELS["asa"] == "ASA分级"  # the exports' spelling, not the model's "ASA 分级"


def test_malformed_file_reports_every_error_with_row_and_column_and_imports_nothing(cast: Cast) -> None:
    text = HEADER + (
        "a1,2026-01-05,general,2,0,0,0\n"
        "a2,2026-13-01,general,2,0,0,0\n"  # bad date
        "a3,2026-01-06,laser,7,maybe,0,0\n"  # bad type, asa, emergency
        ",2026-01-07,spinal,,否,是,0\n"  # empty case_id
        "a1,2026-01-08,神经阻滞,1,1,0,0\n"  # duplicate case_id
    )
    job = case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert job.status == CaseImport.Status.REJECTED
    assert {(e["row"], e["column"]) for e in job.errors} == {
        (3, "date"),
        (4, "anesthesia_type"),
        (4, "asa"),
        (4, "emergency"),
        (5, "case_id"),
        (6, "case_id"),
    }
    assert all(e["reason"] for e in job.errors)
    assert "第 2 行" in next(e["reason"] for e in job.errors if e["row"] == 6)
    assert (job.rows, job.imported, job.rejected) == (5, 0, 4)
    assert not Case.objects.exists() and not PeriodValue.objects.exists()
    assert AuditEvent.objects.filter(action="indicator.case_import").count() == 1


def test_unknown_or_missing_header_rejects_the_file(cast: Cast) -> None:
    job = case_import(
        actor=cast.head_a, hospital=cast.hospital_a, file=csv_file("病例号,when,麻醉方式\nx,2026-01-01,general\n")
    )
    assert job.status == CaseImport.Status.REJECTED
    assert {(e["row"], e["column"]) for e in job.errors} == {(1, "when"), (1, "date")}


def test_partial_imports_only_the_valid_rows(cast: Cast) -> None:
    text = (
        "\ufeff"
        + HEADER
        + (
            "a1,2026-01-05,nerve block,2,0,1,0\na2,2026-01-05,神经阻滞,ASA 3,是,否,\na3,2026-01-05,nerve_block,9,0,0,0\n"
        )
    )
    job = case_import(actor=cast.staff_a, hospital=cast.hospital_a, file=csv_file(text), partial=True)
    assert job.status == CaseImport.Status.PARTIAL
    assert (job.imported, job.rejected) == (2, 1)
    assert [(e["row"], e["column"]) for e in job.errors] == [(4, "asa")]
    assert set(Case.objects.values_list("case_id", flat=True)) == {"a1", "a2"}
    assert Case.objects.get(case_id="a2").asa == 3
    assert counts(cast.hospital_a.pk)[("cq2011.nerve_block_success", 2026, 1)] == (1, 2)


def test_reupload_and_overlapping_period_change_no_count(cast: Cast) -> None:
    january = HEADER + "".join(f"c{i},2026-01-{i % 28 + 1:02d},general,2,0,0,{int(i == 3)}\n" for i in range(40))
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(january))
    first = counts(cast.hospital_a.pk)
    assert first[("cq2011.anesthesia_mortality", 2026, 1)] == (1, 40)
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(january))
    assert counts(cast.hospital_a.pk) == first
    # An overlapping export: ten January cases again, one moved to February, plus five new February cases.
    overlap = HEADER + "".join(f"c{i},2026-01-{i % 28 + 1:02d},general,2,0,0,{int(i == 3)}\n" for i in range(30, 39))
    overlap += "c39,2026-02-01,general,2,0,0,0\n"
    overlap += "".join(f"f{i},2026-02-10,general,2,0,0,0\n" for i in range(5))
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(overlap))
    after = counts(cast.hospital_a.pk)
    assert after[("cq2011.anesthesia_mortality", 2026, 1)] == (1, 39)
    assert after[("cq2011.anesthesia_mortality", 2026, 2)] == (0, 6)
    assert Case.objects.count() == 45
    assert set(PeriodValue.objects.values_list("source", flat=True)) == {PeriodValue.Source.CASES}


def test_xlsx_and_csv_of_the_same_cases_give_identical_counts(cast: Cast, tmp_path: Path) -> None:
    call_command("generate_cases", "--hospital-id=1", "--rows=3000", f"--out={tmp_path / 'c.csv'}", "--seed=7")
    call_command(
        "generate_cases", "--hospital-id=1", "--rows=3000", f"--out={tmp_path / 'c.xlsx'}", "--seed=7", "--chinese"
    )
    for hospital, name in ((cast.hospital_a, "c.csv"), (cast.hospital_b, "c.xlsx")):
        call_command("import_cases", f"--hospital-id={hospital.pk}", str(tmp_path / name), stdout=io.StringIO())
    a, b = counts(cast.hospital_a.pk), counts(cast.hospital_b.pk)
    assert a == b
    assert (
        len(a) == 12 * Indicator.objects.filter(numerator_cases__isnull=False, denominator_cases__isnull=False).count()
    )
    assert sum(d for (code, _, _), (_, d) in a.items() if code == "cq2011.anesthesia_mortality") == 3000


def test_import_command_prints_errors_and_refuses_a_bad_file(cast: Cast, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "x,2026-02-30,general,2,0,0,0\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="未导入"):
        call_command("import_cases", f"--hospital-id={cast.hospital_a.pk}", str(bad), stderr=err)
    assert "第 2 行，列 date" in err.getvalue()


def test_every_indicator_by_hospital_and_month_is_one_query(
    cast: Cast, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    text = HEADER + "a,2026-01-05,general,2,0,0,0\nb,2026-03-05,epidural,2,1,1,0\n"
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    case_import(actor=cast.head_b, hospital=cast.hospital_b, file=csv_file(text))
    with django_assert_num_queries(2):  # the indicator definitions, then the one aggregation
        indicators, rows = case_counts()
        rows = list(rows)
    assert len(rows) == 4 and len(indicators) > 5
    if connection.vendor == "postgresql":
        assert "FILTER (WHERE" in str(case_counts()[1].query)


# ------------------------------------------------------------- permissions --

PAGE_GET = {
    ("qc_admin", "a"): 200,
    ("qc_admin", "b"): 200,
    ("inspector", "a"): 403,
    ("inspector", "b"): 404,
    ("inspector_unassigned", "a"): 404,
    ("inspector_unassigned", "b"): 404,
    ("head_a", "a"): 200,
    ("head_a", "b"): 404,
    ("staff_a", "a"): 200,
    ("staff_a", "b"): 404,
    ("head_b", "a"): 404,
    ("head_b", "b"): 200,
}


def _hospital(cast: Cast, which: str) -> int:
    return (cast.hospital_a if which == "a" else cast.hospital_b).pk


@pytest.mark.parametrize("name", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_upload_page_permissions(cast: Cast, name: str, which: str) -> None:
    client = Client()
    if cast.users[name] is not None:
        client.force_login(cast.users[name])
    url = f"/hospitals/{_hospital(cast, which)}/cases/"
    response = client.get(url)
    if name == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    expected = PAGE_GET[(name, which)]
    assert response.status_code == expected
    body = HEADER + "p1,2026-05-01,general,2,0,0,0\n"
    response = client.post(url, {"file": csv_file(body)})
    assert response.status_code == expected
    assert Case.objects.exists() == (expected == 200)
    if expected == 200:
        assert "仅导入有效行" in response.content.decode()


@pytest.mark.parametrize("name", CAST)
@pytest.mark.parametrize("which", ["a", "b"])
def test_api_permissions(cast: Cast, name: str, which: str) -> None:
    client = cast.client(name)
    body = HEADER + "p1,2026-05-01,general,2,0,0,0\n"
    response = client.post(
        f"/api/v1/hospitals/{_hospital(cast, which)}/cases/", {"file": csv_file(body)}, format="multipart"
    )
    expected = 401 if name == "anonymous" else {200: 201}.get(PAGE_GET[(name, which)], PAGE_GET[(name, which)])
    assert response.status_code == expected, response.content
    assert Case.objects.exists() == (expected == 201)


def test_page_shows_errors_by_row_and_column_and_imports_nothing(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.head_a)
    body = HEADER + "ok,2026-05-01,general,2,0,0,0\nbad,2026-05-01,general,2,x,0,0\n"
    response = client.post(f"/hospitals/{cast.hospital_a.pk}/cases/", {"file": csv_file(body)})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>3</td><td>emergency</td>" in html
    assert not Case.objects.exists()
    response = client.post(f"/hospitals/{cast.hospital_a.pk}/cases/", {"file": csv_file(body), "partial": "1"})
    assert list(Case.objects.values_list("case_id", flat=True)) == ["ok"]


def test_api_rejects_with_errors_and_imports_partially_on_request(cast: Cast) -> None:
    client = cast.client("head_a")
    url = f"/api/v1/hospitals/{cast.hospital_a.pk}/cases/"
    body = HEADER + "ok,2026-05-01,general,2,0,0,0\nbad,2026-05-01,general,2,x,0,0\n"
    response = client.post(url, {"file": csv_file(body)}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "emergency", "reason": response.json()["errors"][0]["reason"]}
    ]
    response = client.post(url, {"file": csv_file(body), "partial": "true"}, format="multipart")
    assert response.status_code == 201 and response.json()["imported"] == 1


# ------------------------------------------- SQL validation = Python validation --

TRICKY = {
    "errors": (
        "\ufeffcase_id,日期,麻醉方式,ASA分级,急诊,,hypothermia\n"
        " a1 ,2026-01-05,General,asa 2,TRUE,,Yes\n"
        "a2,2024-02-29,全麻,\u30003\u3000,是,x,否\n"  # leap day, full-width spaces, an ignored column
        "a3,2026-02-29,spinal,,1,,0\n"  # no such day
        "a4,1999-12-31,laser,0,2,,maybe\n"  # year, type, asa, both flags
        "a5,0000-01-01,epidural,ASA,,,\n"
        "a6,2026-1-05,combined,6,0,,0\n"
        f"{'x' * 65},2026-03-01,other,1,0,,0\n"
        ",2026-03-01,other,1,0,,0\n"
        "a1,2026-03-01,nerve block,1,0,,0\n"
        '"a,7","2026-03-02","nerve_block","",no,,""\n'
        "a8,2026-03-03,NERVE BLOCK,7,FALSE,,false\n"
    ),
    "valid": (
        "病例号,日期,麻醉方式,急诊,anesthesia_death\r\n"
        "v1,2026-01-05,general,1,0\r\nv2,2026-01-31,腰麻,否,是\r\n v3 , 2026-02-01 ,其他,,\r\n"
    ),
    "ragged": HEADER + "r1,2026-01-05,general,2,0,0,0\nr2,2026-01-05,general\n\nr3,2026-01-06,general,2,0,0,0,,\n",
    "quotes": HEADER + 'q"1,2026-01-05,general,2,0,0,0\n"q2"x,2026-01-05,general,2,0,0,0\n',
    "latin1": "case_id,date,anesthesia_type\nc\xe9,2026-01-05,general\n",
    "header": "case_id,date,anesthesia_type,asa,asa\n",
    "empty": "",
}


def _outcome(job: CaseImport, hospital_id: int) -> tuple[object, ...]:
    cases = sorted(
        Case.objects.filter(hospital_id=hospital_id).values_list(
            "case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS
        )
    )
    return (job.status, job.rows, job.imported, job.rejected, job.errors, counts(hospital_id), cases)


def test_rollup_counts_every_case_once(cast: Cast) -> None:
    from indicators.models import CaseRollup

    text = HEADER + "a,2026-01-05,general,2,0,0,0\nb,2026-01-06,general,2,0,0,0\nc,2026-03-05,epidural,,1,1,0\n"
    case_import(actor=None, hospital=cast.hospital_a, file=csv_file(text))
    moved = HEADER + "b,2026-03-06,general,2,0,0,1\n"
    case_import(actor=None, hospital=cast.hospital_a, file=csv_file(moved))
    rollup = {(r.year, r.month, r.anesthesia_type, r.asa, r.anesthesia_death): r.n for r in CaseRollup.objects.all()}
    assert rollup == {
        (2026, 1, "general", 2, False): 1,
        (2026, 3, "general", 2, True): 1,
        (2026, 3, "epidural", None, False): 1,
    }
