"""Re-imports (issue 16): a department re-uploads overlapping exports every month. Cases stored already and
unchanged are not written again and their months are not recounted; a changed case rewrites exactly its
month's rollup (and the month it left). Both import paths (streamed and checked) behave alike.

"Not written" is checked on the rows' physical identity (PostgreSQL's ctid and xmin: an UPDATE, or a DELETE and
INSERT, makes a new row version with a new ctid and the writer's transaction id).
"""

import io
from typing import Any

import pytest
from django.db import connection

from indicators.cases import BOOL_FIELDS, case_import, postgres
from indicators.models import Case, CaseImport, CaseRollup, PeriodValue
from tests.conftest import Cast

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the staged upsert is PostgreSQL's"),
]

COLUMNS = ["case_id", "date", "anesthesia_type", "asa", *BOOL_FIELDS]
TYPES = ["general", "spinal", "nerve_block"]


def row(i: int, *, month: int, flags: dict[str, int] | None = None) -> list[str]:
    facts = {"case_id": f"R{i:05d}", "date": f"2026-{month:02d}-{i % 28 + 1:02d}", "anesthesia_type": TYPES[i % 3]}
    facts["asa"] = str(i % 5 + 1)
    values = {name: str(int(i % (BOOL_FIELDS.index(name) + 2) == 0)) for name in BOOL_FIELDS}
    values.update({k: str(v) for k, v in (flags or {}).items()})
    return [facts.get(c) or values[c] for c in COLUMNS]


def export(rows: list[list[str]]) -> io.BytesIO:
    f = io.BytesIO((",".join(COLUMNS) + "\n" + "".join(",".join(r) + "\n" for r in rows)).encode())
    f.name = "export.csv"
    return f


def months_3_to_5() -> list[list[str]]:
    return [row(i, month=3 + i % 3) for i in range(150)]


def physical(table: str, hospital_id: int, key: str) -> dict[Any, tuple[str, str]]:
    """Each row's version: (ctid, xmin) by its key."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {key}, ctid::text, xmin::text FROM {table} WHERE hospital_id = %s",  # noqa: S608 - constants
            [hospital_id],
        )
        return {tuple(r[:-2]) if len(r) > 3 else r[0]: (r[-2], r[-1]) for r in cursor.fetchall()}


def cases_of(hospital_id: int) -> dict[Any, tuple[str, str]]:
    return physical(Case._meta.db_table, hospital_id, "case_id")


def rollup_of(hospital_id: int) -> dict[Any, tuple[str, str]]:
    return physical(CaseRollup._meta.db_table, hospital_id, "id, year, month")


def counts(hospital_id: int) -> tuple[Any, ...]:
    rollup = sorted(
        CaseRollup.objects.filter(hospital_id=hospital_id).values_list("year", "month", "n", "anesthesia_type", "asa")
    )
    values = sorted(
        PeriodValue.objects.filter(hospital_id=hospital_id).values_list(
            "indicator__code", "year", "month", "numerator", "denominator", "source"
        )
    )
    return Case.objects.filter(hospital_id=hospital_id).count(), rollup, values


@pytest.fixture(params=["streamed", "checked"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "checked":
        monkeypatch.setattr(postgres, "stream", lambda *args: None)
    return request.param


def test_an_unchanged_reimport_leaves_every_count_and_writes_no_row(cast: Cast, path: str) -> None:
    hospital = cast.hospital_a
    case_import(actor=cast.head_a, hospital=hospital, file=export(months_3_to_5()))
    before = counts(hospital.pk), cases_of(hospital.pk), rollup_of(hospital.pk)

    job = case_import(actor=cast.head_a, hospital=hospital, file=export(months_3_to_5()))

    assert (job.status, job.imported) == (CaseImport.Status.IMPORTED, 150)
    assert counts(hospital.pk) == before[0]
    assert cases_of(hospital.pk) == before[1], "no case row was written again"
    assert rollup_of(hospital.pk) == before[2], "no month was recounted"


def test_a_changed_case_rewrites_exactly_its_months_rollup(cast: Cast, path: str) -> None:
    hospital, other = cast.hospital_a, cast.hospital_b
    rows = months_3_to_5()
    case_import(actor=cast.head_a, hospital=hospital, file=export(rows))
    cases, rollup = cases_of(hospital.pk), rollup_of(hospital.pk)
    changed = 4  # R00004 is an April case (month 3 + 4 % 3)
    assert rows[changed][1].startswith("2026-04")
    flag = BOOL_FIELDS[0]
    rows[changed] = row(changed, month=4, flags={flag: 1 - int(rows[changed][COLUMNS.index(flag)])})

    case_import(actor=cast.head_a, hospital=hospital, file=export(rows))

    after_cases, after_rollup = cases_of(hospital.pk), rollup_of(hospital.pk)
    assert {k for k in cases if after_cases[k] != cases[k]} == {"R00004"}
    rewritten = {key[1:] for key in set(rollup) | set(after_rollup) if rollup.get(key) != after_rollup.get(key)}
    assert rewritten == {(2026, 4)}
    # The counts are those of a fresh import of the same file.
    case_import(actor=cast.head_b, hospital=other, file=export(rows))
    assert counts(hospital.pk) == counts(other.pk)


def test_a_case_moved_to_another_month_recounts_both(cast: Cast, path: str) -> None:
    hospital, other = cast.hospital_a, cast.hospital_b
    rows = months_3_to_5()
    case_import(actor=cast.head_a, hospital=hospital, file=export(rows))
    rollup = rollup_of(hospital.pk)
    rows[3] = row(3, month=5)  # R00003 was a March case
    rows.append(row(999, month=6))  # and a new June case

    case_import(actor=cast.head_a, hospital=hospital, file=export(rows))

    after = rollup_of(hospital.pk)
    untouched = {key[1:] for key, version in after.items() if rollup.get(key) == version}
    assert (2026, 4) in untouched and not untouched & {(2026, 3), (2026, 5), (2026, 6)}
    case_import(actor=cast.head_b, hospital=other, file=export(rows))
    assert counts(hospital.pk) == counts(other.pk)
    assert sum(n for (_y, m, n, *_rest) in counts(hospital.pk)[1] if m == 3) == 49


@pytest.mark.parametrize("overlap", ["all", "tail"])
def test_a_reupload_is_read_once_straight_into_the_staging_table(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, overlap: str
) -> None:
    """A file whose first case is stored already goes to the staging table at once: COPY into the case table
    would have refused it only after checking and sending the whole file (a third of a re-upload's time). A file
    whose stored cases come later still tries the direct COPY first, and ends the same."""
    hospital = cast.hospital_a
    case_import(actor=cast.head_a, hospital=hospital, file=export(months_3_to_5()))
    tables: list[str] = []
    stream_copy = postgres._stream_copy
    monkeypatch.setattr(
        postgres, "_stream_copy", lambda f, h, table, *a: tables.append(table) or stream_copy(f, h, table, *a)
    )
    new = [row(i, month=6) for i in range(150, 180)]
    rows = months_3_to_5() + new if overlap == "all" else new + months_3_to_5()

    job = case_import(actor=cast.head_a, hospital=hospital, file=export(rows))

    assert (job.status, job.imported) == (CaseImport.Status.IMPORTED, 180)
    assert tables == ([postgres.STAGE] if overlap == "all" else [Case._meta.db_table, postgres.STAGE])
    assert Case.objects.filter(hospital=hospital).count() == 180
    assert CaseRollup.objects.filter(hospital=hospital, month=6).exists()
