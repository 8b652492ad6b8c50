"""API of Excel score sheets: every endpoint × every member of the cast × hospital A or B, and the import's answers."""

from decimal import Decimal

import pytest
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEvent
from scoring import excel
from scoring.models import AssessmentKind, AssessmentStatus, Rating
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory, rate_all
from tests.scoring.sheets import Sheet, rate_variously, result, stored, upload_file

pytestmark = pytest.mark.django_db

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "standard-sheet": {"-": (200, 200, 200, 200, 200, 200, 401)},
    "assessment-sheet": {"A": (200, 200, 404, 200, 200, 404, 401), "B": (200, 404, 404, 404, 404, 200, 401)},
    "import-self": {"A": (403, 403, 404, 200, 200, 404, 401), "B": (403, 404, 404, 404, 404, 200, 401)},
    # A department does not see its inspection before it is finalized (issue 12): 404.
    "import-inspection": {"A": (200, 200, 404, 404, 404, 404, 401), "B": (200, 404, 404, 404, 404, 404, 401)},
}
CASES = [(name, target, who) for name, rows in EXPECTED.items() for target in rows for who in CAST]


def blank(cast: Cast) -> Sheet:
    return Sheet(cast.client("head_a").get("/api/v1/standards/cq2011/sheet.xlsx").content)


def post_sheet(client: APIClient, pk: int, content: bytes, name: str = "sheet.xlsx"):
    return client.post(f"/api/v1/assessments/{pk}/sheet/", {"file": upload_file(content, name)}, format="multipart")


@pytest.mark.parametrize(("name", "target", "who"), CASES)
def test_sheet_endpoint_permissions(cast: Cast, name: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target in ("A", "-") else cast.hospital_b
    kind = AssessmentKind.INSPECTION if name == "import-inspection" else AssessmentKind.SELF
    assessment = AssessmentFactory(hospital=hospital, kind=kind)
    client = cast.client(who)
    if name == "standard-sheet":
        response = client.get("/api/v1/standards/cq2011/sheet.xlsx")
    elif name == "assessment-sheet":
        response = client.get(f"/api/v1/assessments/{assessment.pk}/sheet.xlsx")
    else:
        sheet = blank(cast)
        sheet.rate("1.1-1-2", "met")
        response = post_sheet(client, assessment.pk, sheet.bytes())
    expected = EXPECTED[name][target][CAST.index(who)]
    assert response.status_code == expected, (name, target, who, response.content[:300])
    if name.startswith("import"):
        if expected == 200:
            assert response.json() == {"imported": 1, "unchanged": 0}
            assert stored(assessment) == {"1.1-1-2": ("met", Decimal("20"), "")}
        else:
            assert not Rating.objects.filter(assessment=assessment).exists()
    elif expected == 200:
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE


def test_round_trip_through_the_api_gives_the_identical_result(cast: Cast) -> None:
    source = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2026)
    rate_variously(source, cast.inspector)
    client = cast.client("inspector")
    exported = client.get(f"/api/v1/assessments/{source.pk}/sheet.xlsx")
    assert exported.status_code == 200
    copy = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2027)

    response = post_sheet(client, copy.pk, exported.content)

    assert response.status_code == 200
    assert response.json() == {"imported": len(stored(source)), "unchanged": 0}
    assert stored(copy) == stored(source)
    assert result(copy) == result(source)
    assert AuditEvent.objects.filter(assessment_id=copy.pk, action="rating.set").count() == len(stored(source))


def test_a_bad_sheet_answers_400_with_every_error_and_stores_nothing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    sheet = blank(cast)
    sheet.rate("1.1-1-1", "met")
    sheet.rate("1.1-1-2", "unmet", 20)
    sheet.rate("3.1-3", "partial", "abc")
    sheet.ws.cell(row=sheet.row("5.2-5"), column=1).value = "5.2-99"
    sheet.rate("5.2-5", "met")

    response = post_sheet(cast.client("staff_a"), assessment.pk, sheet.bytes())

    assert response.status_code == 400
    assert response.json() == {
        "detail": "评分表中有 3 处错误，未导入任何评分。",
        "errors": [
            {"row": sheet.row("1.1-1-2"), "column": "J", "header": "得分", "reason": "评定为未达标时得分应为 0。"},
            {"row": sheet.row("3.1-3"), "column": "J", "header": "得分", "reason": "得分必须是数字，而不是“abc”。"},
            {
                "row": sheet.row("5.2-5"),
                "column": "A",
                "header": "编号",
                "reason": "标准 cq2011 中没有编号为 5.2-99 的细则。",
            },
        ],
    }
    assert not Rating.objects.filter(assessment=assessment).exists()
    assert not AuditEvent.objects.filter(assessment_id=assessment.pk, action="rating.set").exists()


def test_an_import_into_a_submitted_assessment_answers_409(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, status=AssessmentStatus.SUBMITTED)
    sheet = blank(cast)
    sheet.rate("1.1-1-1", "met")
    response = post_sheet(cast.client("head_a"), assessment.pk, sheet.bytes())
    assert response.status_code == 409
    assert response.json()["code"] == "assessment_locked"
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_a_missing_file_names_the_field(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = cast.client("head_a").post(f"/api/v1/assessments/{assessment.pk}/sheet/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"file": ["请选择要上传的评分表（.xlsx）。"]}


def test_an_unreadable_file_answers_400_naming_no_row(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = post_sheet(cast.client("head_a"), assessment.pk, b"not a workbook", name="sheet.csv")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": None, "column": "", "header": "", "reason": "文件不是 Excel 工作簿（.xlsx）。"}
    ]


def test_errors_stay_json_when_the_client_asks_for_xlsx(cast: Cast) -> None:
    foreign = AssessmentFactory(hospital=cast.hospital_b)
    response = cast.client("head_a").get(
        f"/api/v1/assessments/{foreign.pk}/sheet.xlsx", HTTP_ACCEPT=excel.XLSX_CONTENT_TYPE
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_the_schema_documents_the_sheet_endpoints(cast: Cast) -> None:
    schema = cast.client("head_a").get("/api/schema/?format=json").json()
    paths = schema["paths"]
    sheet = paths["/api/v1/assessments/{id}/sheet.xlsx"]["get"]
    assert excel.XLSX_CONTENT_TYPE in sheet["responses"]["200"]["content"]
    assert excel.XLSX_CONTENT_TYPE in paths["/api/v1/standards/{code}/sheet.xlsx"]["get"]["responses"]["200"]["content"]
    upload = paths["/api/v1/assessments/{id}/sheet/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "400"} <= set(upload["responses"])
    assert all("." not in operation["operationId"] for path in paths.values() for operation in path.values())


def test_the_api_export_reads_a_fixed_number_of_queries(cast: Cast, django_assert_max_num_queries) -> None:
    from django.db import connection

    few = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    many = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    rate_all(many)
    client = cast.client("head_a")
    counts = []
    for assessment in (few, many):
        # Token; assessment; criteria; ratings; the result (chapters, items, ratings, criteria, thresholds).
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(9):
            assert client.get(f"/api/v1/assessments/{assessment.pk}/sheet.xlsx").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
