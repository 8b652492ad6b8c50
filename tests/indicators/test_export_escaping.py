"""Every export escapes text that Excel would run as a formula (issue 12, L2).

A hospital named "=HYPERLINK(…)" (or a rule note, a username, a remark starting with =, +, - or @)
appears in exports as text, in CSV and in XLSX alike: openpyxl stores a string that starts with "="
as a formula unless it is escaped.
"""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from accounts.models import Hospital, Level
from departments.models import DepartmentProfile
from indicators.models import Indicator
from tests.conftest import Cast
from tests.factories import HospitalFactory
from tests.indicators.test_dashboard import comparison_url, put

pytestmark = pytest.mark.django_db
EVIL = '=HYPERLINK("http://example.invalid","点此")'


def admin(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast.qc_admin)
    return client


def _cells(content: bytes) -> list[tuple[object, str]]:
    book = load_workbook(io.BytesIO(content))
    return [(cell.value, cell.data_type) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_the_indicator_comparison_exports_escape_a_hospital_name(cast: Cast, block: Indicator) -> None:
    Hospital.objects.filter(pk=cast.hospital_a.pk).update(name=EVIL)
    put(cast.hospital_a, block, {1: (95, 100)})

    rows = list(csv.reader(io.StringIO(admin(cast).get(comparison_url(block, "csv")).content.decode("utf-8-sig"))))
    assert [r[1] for r in rows if EVIL in r[1]] == ["'" + EVIL]
    cells = _cells(admin(cast).get(comparison_url(block, "xlsx")).content)
    assert ("'" + EVIL, "s") in cells
    assert not any(kind == "f" for _value, kind in cells)


def test_the_shortfalls_workbook_escapes_a_hospital_name(cast: Cast) -> None:
    hospital = HospitalFactory(name=EVIL, level=Level.L3B)
    DepartmentProfile.objects.create(hospital=hospital, year=2026, aicu_beds=10, aicu_nurses=20)

    cells = _cells(admin(cast).get("/profiles/shortfalls.xlsx", {"year": 2026}).content)

    assert ("'" + EVIL, "s") in cells
    assert not any(kind == "f" for _value, kind in cells)


def test_the_history_and_audit_csv_escape_what_people_typed(cast: Cast) -> None:
    from scoring.models import Criterion
    from tests.factories import AssessmentFactory
    from workspace.services import rating_save

    assessment = AssessmentFactory(hospital=cast.hospital_a)
    criterion = Criterion.objects.get(standard=assessment.standard, code="1.1-1-1")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion, rating="met", remark="=1+1")

    history = admin(cast).get(f"/assessments/{assessment.pk}/history.csv").content.decode("utf-8-sig")
    audit = b"".join(admin(cast).get("/audit/events.csv").streaming_content).decode("utf-8-sig")
    for body in (history, audit):
        cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
        assert not any(cell.startswith("=") for cell in cells)
