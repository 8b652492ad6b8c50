"""The streaming import (PostgreSQL, canonical CSV straight into COPY) agrees with the checking path."""

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Level
from indicators.cases import BOOL_FIELDS, case_import, postgres, storing
from indicators.models import Case, CaseImport, CaseRollup, PeriodValue
from tests.accounts.factories import HospitalFactory
from tests.conftest import Cast

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the streaming path is PostgreSQL's"),
]

COLUMNS = ["case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS]
TYPES = ["general", "neuraxial", "epidural", "spinal", "combined_spinal_epidural", "nerve_block", "other"]


def csv_file(text: str) -> io.BytesIO:
    f = io.BytesIO(text.encode("utf-8"))
    f.name = "cases.csv"
    return f


def canonical(n: int, *, start: int = 0, month: int = 3, columns: list[str] = COLUMNS) -> str:
    def cell(name: str, i: int) -> str:
        facts = {
            "case_id": f"K{i:06d}",
            "date": f"2026-{month:02d}-{i % 28 + 1:02d}",
            "anesthesia_type": TYPES[i % len(TYPES)],
            "asa": "" if i % 11 == 0 else str(i % 6 + 1),
        }
        if name in facts:
            return facts[name]
        return str(int((i * (BOOL_FIELDS.index(name) + 3)) % 7 == 0))

    rows = (",".join(cell(c, i) for c in columns) for i in range(start, start + n))
    return ",".join(columns) + "\n" + "\n".join(rows) + "\n"


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records which path each import took: "new" (streamed into the table), "upsert" (streamed into
    staging and merged) or "checked"."""
    taken: list[str] = []
    stream = postgres.stream

    def spy(*args: Any) -> Any:
        result = stream(*args)
        taken.append("checked" if result is None else "upsert" if result[0] else "new")
        return result

    monkeypatch.setattr(postgres, "stream", spy)
    return taken


def snapshot(hospital_id: int) -> tuple[Any, ...]:
    fields = ["case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS]
    stored = sorted(Case.objects.filter(hospital_id=hospital_id).values_list(*fields))
    values = sorted(
        PeriodValue.objects.filter(hospital_id=hospital_id).values_list(
            "indicator__code", "year", "month", "numerator", "denominator"
        )
    )
    return stored, values


def checked_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    def off() -> None:
        monkeypatch.setattr(postgres, "stream", lambda *args: None)

    return off


def test_a_canonical_file_of_new_cases_is_streamed_and_counted_as_the_checking_path_counts(
    cast: Cast, paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = canonical(300)
    job = case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert paths == ["new"]
    assert (job.status, job.rows, job.imported, job.rejected) == (CaseImport.Status.IMPORTED, 300, 300, 0)
    checked_only(monkeypatch)()
    case_import(actor=cast.head_b, hospital=cast.hospital_b, file=csv_file(text))
    assert snapshot(cast.hospital_a.pk) == snapshot(cast.hospital_b.pk)
    assert sum(CaseRollup.objects.filter(hospital=cast.hospital_a).values_list("n", flat=True)) == 300


def test_any_column_order_with_flags_left_out_streams_and_defaults_the_flags_to_no(
    cast: Cast, paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    columns = ["anesthesia_type", "block_failed", "case_id", "hypothermia", "date"]
    text = canonical(120, columns=columns)
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert paths == ["new"]
    checked_only(monkeypatch)()
    case_import(actor=cast.head_b, hospital=cast.hospital_b, file=csv_file(text))
    assert snapshot(cast.hospital_a.pk) == snapshot(cast.hospital_b.pk)
    assert not Case.objects.filter(anesthesia_death=True).exists()


def test_a_bom_and_crlf_line_ends_still_stream(cast: Cast, paths: list[str]) -> None:
    text = "\ufeff" + canonical(50).replace("\n", "\r\n")
    job = case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text.rstrip("\r\n")))
    assert paths == ["new"] and job.imported == 50
    assert Case.objects.filter(hospital=cast.hospital_a, case_id="K000049").exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("K9,2026-02-30,general,2" + ",0" * len(BOOL_FIELDS), "no 30 February"),
        ("K9,2026-03-01,全麻,2" + ",0" * len(BOOL_FIELDS), "a Chinese type name"),
        ("K9,2026-03-01,general,ASA2" + ",0" * len(BOOL_FIELDS), "ASA spelt out"),
        ("K9,2026-03-01,general,2,是" + ",0" * (len(BOOL_FIELDS) - 1), "是 for yes"),
        (" K9 ,2026-03-01,general,2" + ",0" * len(BOOL_FIELDS), "spaces around the case_id"),
        ('"K9",2026-03-01,general,2' + ",0" * len(BOOL_FIELDS), "a quoted cell"),
        ("K000001,2026-03-01,general,2" + ",0" * len(BOOL_FIELDS), "a case_id repeated in the file"),
    ],
)
def test_anything_not_canonical_takes_the_checking_path_with_the_same_outcome(
    cast: Cast, paths: list[str], monkeypatch: pytest.MonkeyPatch, line: str, reason: str
) -> None:
    text = canonical(30) + line + "\n"
    job = case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert paths == ["checked"], reason
    checked_only(monkeypatch)()
    again = case_import(actor=cast.head_b, hospital=cast.hospital_b, file=csv_file(text))
    assert (job.status, job.rows, job.imported, job.errors) == (again.status, again.rows, again.imported, again.errors)
    assert snapshot(cast.hospital_a.pk) == snapshot(cast.hospital_b.pk)


def test_a_reupload_is_streamed_into_the_upsert_and_changes_no_count(cast: Cast, paths: list[str]) -> None:
    text = canonical(200)
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    first = snapshot(cast.hospital_a.pk)
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert paths == ["new", "upsert"]
    assert snapshot(cast.hospital_a.pk) == first
    # New cases of the same month stream again, and the month's counts add up across imports.
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(canonical(50, start=200)))
    assert paths[-1] == "new"
    assert Case.objects.filter(hospital=cast.hospital_a).count() == 250
    total = PeriodValue.objects.get(
        hospital=cast.hospital_a, indicator__code="cq2011.anesthesia_mortality", year=2026, month=3
    )
    assert total.denominator == 250


def test_a_streamed_error_free_import_stores_nothing_when_a_later_check_fails(
    cast: Cast, paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(**kwargs: Any) -> int:
        raise RuntimeError("after the COPY")

    monkeypatch.setattr(storing, "period_values_recompute", boom)
    with pytest.raises(RuntimeError):
        case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(canonical(40)))
    assert not Case.objects.exists() and not CaseRollup.objects.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([*TYPES, "全麻", "nerve block", "laser"]),
            st.sampled_from(["", "1", "3", "6", "7", "ASA2"]),
            st.lists(st.sampled_from(["0", "1", "", "是", "x"]), min_size=2, max_size=2),
            st.sampled_from(["2026-01-31", "2026-02-29", "2024-02-29", "2026-04-30", "26-1-1"]),
        ),
        min_size=1,
        max_size=12,
    ),
    partial=st.booleans(),
)
def test_streaming_and_checking_agree_on_any_file(
    cast: Cast, rows: list[Any], partial: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "case_id,date,anesthesia_type,asa,block_failed,hypothermia\n" + "".join(
        f"R{i},{date},{kind},{asa},{flags[0]},{flags[1]}\n" for i, (kind, asa, flags, date) in enumerate(rows)
    )
    outcomes = []
    for hospital in (cast.hospital_a, cast.hospital_b):
        with transaction.atomic():
            job = case_import(actor=None, hospital=hospital, file=csv_file(text), partial=partial)
            outcomes.append(((job.status, job.rows, job.imported, job.errors), snapshot(hospital.pk)))
            transaction.set_rollback(True)
        monkeypatch.setattr(postgres, "stream", lambda *args: None)
    monkeypatch.undo()
    assert outcomes[0] == outcomes[1]


def test_the_database_refuses_a_case_of_a_hospital_that_does_not_exist(cast: Cast) -> None:
    case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(canonical(3)))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE indicators_case SET hospital_id = 999999 WHERE case_id = 'K000001'")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(hospital_id=999999, case_id="x", date="2026-01-01", anesthesia_type="general")


def test_deleting_a_hospital_deletes_its_cases_even_in_raw_sql(cast: Cast) -> None:
    gone = HospitalFactory(name="撤销医院", level=Level.L2A)
    case_import(actor=None, hospital=gone, file=csv_file(canonical(5)))
    case_import(actor=None, hospital=cast.hospital_a, file=csv_file(canonical(5)))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM indicators_caseimport WHERE hospital_id = %s", [gone.pk])
        cursor.execute("DELETE FROM indicators_caserollup WHERE hospital_id = %s", [gone.pk])
        cursor.execute("DELETE FROM indicators_periodvalue WHERE hospital_id = %s", [gone.pk])
        cursor.execute("DELETE FROM accounts_hospital WHERE id = %s", [gone.pk])
    assert not Case.objects.filter(hospital_id=gone.pk).exists()
    assert Case.objects.filter(hospital=cast.hospital_a).count() == 5


def test_an_overlapping_export_that_moves_cases_is_upserted_as_the_checking_path_does(
    cast: Cast, paths: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = canonical(100, month=3)
    overlap = canonical(20, start=90, month=4)  # ten March cases moved to April, ten new April cases
    for text in (first, overlap):
        case_import(actor=cast.head_a, hospital=cast.hospital_a, file=csv_file(text))
    assert paths == ["new", "upsert"]
    checked_only(monkeypatch)()
    for text in (first, overlap):
        case_import(actor=cast.head_b, hospital=cast.hospital_b, file=csv_file(text))
    assert snapshot(cast.hospital_a.pk) == snapshot(cast.hospital_b.pk)
    march = PeriodValue.objects.get(
        hospital=cast.hospital_a, indicator__code="cq2011.anesthesia_mortality", year=2026, month=3
    )
    assert march.denominator == 90
