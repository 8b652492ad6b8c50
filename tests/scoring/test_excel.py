"""Excel score sheets in the browser: blank and filled exports, the all-or-nothing import, permissions and queries."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from audit.models import AuditEvent
from scoring import excel
from scoring.models import AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.services import assessment_submit, criterion_return
from tests.conftest import CAST, Cast
from tests.scoring.factories import (
    AssessmentFactory,
    ChapterFactory,
    CriterionFactory,
    ItemFactory,
    RatingFactory,
    StandardFactory,
    rate_all,
)
from tests.scoring.sheets import Sheet, rate_variously, result, stored, upload_file
from workspace.services import rating_save

pytestmark = pytest.mark.django_db

LOGIN = 302  # anonymous visitors are sent to the login page
DONE = 302  # a successful import goes back to the assessment

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    # The blank sheet is the standard's, reference data for every signed-in user.
    "blank": {"-": (200, 200, 200, 200, 200, 200, LOGIN)},
    # A filled sheet: whoever can see the assessment.
    "filled": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    # The import: whoever may rate the assessment (the department for its self-assessment, the QC side for inspections).
    "import-form-self": {"A": (403, 403, 404, 200, 200, 404, LOGIN), "B": (403, 404, 404, 404, 404, 200, LOGIN)},
    "import-self": {"A": (403, 403, 404, DONE, DONE, 404, LOGIN), "B": (403, 404, 404, 404, 404, DONE, LOGIN)},
    # A department does not see its inspection before it is finalized (issue 12): 404.
    "import-form-inspection": {
        "A": (200, 200, 404, 404, 404, 404, LOGIN),
        "B": (200, 404, 404, 404, 404, 404, LOGIN),
    },
    "import-inspection": {"A": (DONE, DONE, 404, 404, 404, 404, LOGIN), "B": (DONE, 404, 404, 404, 404, 404, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def blank_sheet(cast: Cast) -> Sheet:
    return Sheet(browser(cast, "head_a").get("/standards/cq2011/sheet.xlsx").content)


def upload(client: Client, assessment_pk: int, content: bytes, name: str = "评分表.xlsx"):
    return client.post(f"/assessments/{assessment_pk}/sheet/", {"file": upload_file(content, name)})


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_sheet_page_permissions(cast: Cast, page: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target in ("A", "-") else cast.hospital_b
    kind = AssessmentKind.INSPECTION if page.endswith("inspection") else AssessmentKind.SELF
    assessment = AssessmentFactory(hospital=hospital, kind=kind)
    client = browser(cast, who)
    if page == "blank":
        response = client.get("/standards/cq2011/sheet.xlsx")
    elif page == "filled":
        response = client.get(f"/assessments/{assessment.pk}/sheet.xlsx")
    elif page.startswith("import-form"):
        response = client.get(f"/assessments/{assessment.pk}/sheet/")
    else:
        sheet = blank_sheet(cast)
        sheet.rate("1.1-1-2", "partial", 10, "导入测试")
        response = upload(client, assessment.pk, sheet.bytes())
    expected = EXPECTED[page][target][CAST.index(who)]
    assert response.status_code == expected, (page, target, who, response.content[:300])
    if who == "anonymous":
        assert response.url.startswith("/accounts/login/?next=")
    elif page.startswith("import-") and not page.startswith("import-form"):
        if expected == DONE:
            assert response.url == f"/assessments/{assessment.pk}/"
            assert stored(assessment) == {"1.1-1-2": ("partial", Decimal("10"), "导入测试")}
        else:
            assert not Rating.objects.filter(assessment=assessment).exists()
    elif expected == 200 and page in ("blank", "filled"):
        assert response["Content-Type"] == excel.XLSX_CONTENT_TYPE
        assert response["Content-Disposition"].startswith("attachment;")


# ---------------------------------------------------------------- the blank sheet --


def test_the_blank_sheet_lists_all_102_criteria_with_points_and_veto_stars(cast: Cast) -> None:
    response = browser(cast, "head_b").get("/standards/cq2011/sheet.xlsx")
    assert response.status_code == 200
    assert "filename*=utf-8''cq2011-" in response["Content-Disposition"]
    sheet = Sheet(response.content)
    criteria = {c.code: c for c in Criterion.objects.filter(standard__code="cq2011")}
    rows = {row[0]: row for row in sheet.criteria_rows()}
    assert len(rows) == len(criteria) == 102
    assert [r[0] for r in sheet.criteria_rows()] == [
        c.code for c in Criterion.objects.filter(standard__code="cq2011").order_by("position")
    ]
    col = excel.COLUMN_INDEX
    for code, criterion in criteria.items():
        row = rows[code]
        assert Decimal(str(row[col["points"]])) == criterion.max_points, code
        assert row[col["veto"]] == ("★" if criterion.veto else None), code
        assert row[col["text"]].startswith(criterion.text), code
        assert all(row[col[k]] is None for k in ("met", "partial", "unmet", "score", "remark")), code
    general = sum(Decimal(str(rows[c][col["points"]])) for c, x in criteria.items() if x.applies_to == "all")
    key_specialty = sum(Decimal(str(rows[c][col["points"]])) * x.key_specialty_weight for c, x in criteria.items())
    assert general == key_specialty == 1000
    assert {c for c, x in criteria.items() if x.veto} == {c for c, r in rows.items() if r[col["veto"]] == "★"}
    assert rows["3.1-1-1"][col["key_specialty"]] == "×0.7"
    assert rows["3.2-1-1"][col["key_specialty"]] == "仅重点专科"
    # Chapter headings, Chinese wording from the data, and the footer's totals.
    texts = [str(v) for row in sheet.ws.iter_rows(values_only=True) for v in row if v]
    assert "第1章\u3000组织结构与功能（180 分）" in texts
    assert any("一般科室 1000 分（92 项）" in t and "折算后 1000 分（102 项）" in t for t in texts)


def test_the_blank_sheet_prints_on_a4_one_page_wide_with_the_heading_repeated(cast: Cast) -> None:
    sheet = blank_sheet(cast)
    ws = sheet.ws
    header = sheet.row("编号")
    assert [c.value for c in ws[header]] == [str(c.label) for c in excel.COLUMNS]
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == f"${header}:${header}"
    assert ws.print_area.endswith(f"$A$1:${excel.LAST_COLUMN}${ws.max_row}")
    assert ws.freeze_panes == f"A{header + 1}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    cell = sheet.cell("1.1-1-3", "text")
    assert cell.alignment.wrap_text and cell.border.left.style == "thin"
    assert ws.row_dimensions[sheet.row("1.1-1-3")].height > ws.row_dimensions[sheet.row("1.1-1-1")].height
    assert ws.column_dimensions["A"].width == excel.COLUMNS[0].width
    assert ws.column_dimensions["C"].width == excel.COLUMNS[2].width
    assert sheet.book[excel.META_SHEET].sheet_state == "hidden"


# ------------------------------------------------------------ the filled sheet --


def test_the_filled_sheet_shows_the_header_block_ratings_and_marks(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    rate_variously(assessment, cast.head_a)
    sheet = Sheet(browser(cast, "inspector").get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    head = [str(v) for row in sheet.ws.iter_rows(max_row=8, values_only=True) for v in row if v is not None]
    for expected in ("甲医院", "三级甲等 · 市级临床重点专科", "自评", "2026", "cq2011", str(assessment.pk), "草稿"):
        assert expected in head, expected
    data = result(assessment)
    assert any(v.startswith(f"{data['total']} / {data['max_total']}") for v in head)
    assert sheet.value("1.1-1-2", "partial") == excel.MARK
    assert sheet.value("1.1-1-2", "met") is None and sheet.value("1.1-1-2", "unmet") is None
    assert sheet.value("1.1-1-2", "score") == 12.5
    assert sheet.value("1.1-1-1", "met") == excel.MARK and sheet.value("1.1-1-1", "score") == 15
    assert sheet.value("1.1-1-1", "veto") == "★"
    # A remark that looks like a formula is stored as text, not evaluated.
    formula = sheet.cell("1.1-1-3", "remark")
    assert formula.value == "=SUM(A1:A9)" and formula.data_type == "s"
    assert sheet.value("3.2-1-1", "partial") == excel.MARK  # key-only criteria appear for key departments
    assert sheet.value("2.2-1", "score") is None  # unrated


def test_a_filled_sheet_of_a_general_department_leaves_out_key_only_criteria(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b)
    sheet = Sheet(browser(cast, "head_b").get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    codes = [row[0] for row in sheet.criteria_rows()]
    assert len(codes) == 92 and "3.2-1-1" not in codes and "3.1-1-1" in codes


# ------------------------------------------------------------------ round trip --


@pytest.mark.parametrize(("target", "head"), [("A", "head_a"), ("B", "head_b")])
def test_round_trip_into_a_new_draft_gives_the_identical_result(cast: Cast, target: str, head: str) -> None:
    hospital = cast.hospital_a if target == "A" else cast.hospital_b
    source = AssessmentFactory(hospital=hospital, year=2026)
    rate_variously(source, cast.users[head])
    rate_all(source)  # the rest met, so the outcome is decided (one ★ item is unmet: fail)
    client = browser(cast, head)
    exported = client.get(f"/assessments/{source.pk}/sheet.xlsx")
    copy = AssessmentFactory(hospital=hospital, year=2027)

    response = upload(client, copy.pk, exported.content, name="2026 自评.xlsx")

    assert response.status_code == 302 and response.url == f"/assessments/{copy.pk}/"
    assert stored(copy) == stored(source)
    assert len(stored(copy)) == (102 if target == "A" else 92)
    assert result(copy) == result(source)
    assert result(copy)["outcome"] == "fail" and result(copy)["veto_failed"] == ["3.1-2-1"]
    # Every rating went through rating_set: one audit event each, naming the file.
    events = AuditEvent.objects.filter(assessment_id=copy.pk, action="rating.set")
    assert events.count() == len(stored(source))
    assert set(events.values_list("reason", flat=True)) == {"导入评分表 2026 自评.xlsx"}
    assert set(Rating.objects.filter(assessment=copy).values_list("version", flat=True)) == {1}
    page = client.get(f"/assessments/{copy.pk}/").content.decode()
    assert f"已从评分表导入 {len(stored(source))} 项评分" in page


def test_a_multiline_remark_typed_in_the_browser_survives_the_round_trip(cast: Cast) -> None:
    source = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    client = browser(cast, "head_a")
    saved = client.post(
        f"/assessments/{source.pk}/criteria/1.1-1-2/",
        {"rating": "partial", "score": "10", "remark": "第一行\r\n第二行", "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    # Browsers send CRLF; spreadsheets keep LF: remarks are stored with LF so both read the same.
    assert stored(source) == {"1.1-1-2": ("partial", Decimal("10"), "第一行\n第二行")}
    copy = AssessmentFactory(hospital=cast.hospital_a, year=2027)
    response = upload(client, copy.pk, client.get(f"/assessments/{source.pk}/sheet.xlsx").content)
    assert response.status_code == 302
    assert stored(copy) == stored(source)


def test_reimporting_an_unchanged_sheet_writes_nothing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_variously(assessment, cast.head_a)
    client = browser(cast, "staff_a")
    content = client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content
    before = AuditEvent.objects.count()
    response = upload(client, assessment.pk, content)
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before
    page = client.get(response.url).content.decode()
    assert f"已从评分表导入 0 项评分；{len(stored(assessment))} 项与已有评分相同" in page


def test_the_blank_sheet_imports_its_marked_rows_and_skips_the_rest(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    sheet = blank_sheet(cast)
    sheet.rate("1.1-1-1", "met")
    sheet.rate("3.1-3", "partial", "7.5", "PETCO2 监测仪不足")  # a score typed as text
    sheet.rate("4.1-7-1", "unmet", 0)
    response = upload(browser(cast, "head_a"), assessment.pk, sheet.bytes())
    assert response.status_code == 302
    assert stored(assessment) == {
        "1.1-1-1": ("met", Decimal("15"), ""),
        "3.1-3": ("partial", Decimal("7.5"), "PETCO2 监测仪不足"),
        "4.1-7-1": ("unmet", Decimal("0"), ""),
    }


# ------------------------------------------------------------------ bad sheets --


def error_rows(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if line.strip().startswith('<tr><td class="num">')]


def test_a_bad_sheet_lists_every_error_with_row_and_column_and_stores_nothing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b)
    sheet = blank_sheet(cast)
    sheet.rate("1.1-1-1", "met")  # fine, but not stored: the sheet goes in whole or not at all
    sheet.rate("1.1-1-2", "met", 3)  # met scores the maximum
    sheet.rate("1.1-1-3", "partial", 15)  # partial is below the maximum
    sheet.rate("1.2-1-1", "partial", "七分")  # not a number
    sheet.rate("1.2-1-2", "partial")  # partial needs a score
    sheet.rate("2.1-1", "met")
    sheet.cell("2.1-1", "unmet").value = "√"  # two ratings
    sheet.cell("2.1-2-1", "score").value = 5  # a score without a rating
    sheet.rate("3.1-3", "partial", 7.25)  # half points only
    sheet.rate("3.2-1-1", "met")  # key-only: hospital B is not a key specialty
    sheet.ws.cell(row=sheet.row("5.2-4"), column=1).value = "9.9-9"
    sheet.rate("5.2-5", "unmet", -1)  # unmet scores 0
    sheet.ws.cell(row=sheet.row("5.2-3"), column=1).value = "1.1-1-1"  # a second row for 1.1-1-1
    sheet.rate("5.2-3", "met")
    bad_code_row = sheet.row("5.2-4")
    for key in ("met", "partial", "unmet"):
        sheet.ws.cell(row=bad_code_row, column=excel.COLUMN_INDEX[key] + 1).value = "√" if key == "met" else None
    content = sheet.bytes()
    events = AuditEvent.objects.changes().count()

    response = upload(browser(cast, "head_b"), assessment.pk, content)

    assert response.status_code == 400
    body = response.content.decode()
    assert "评分表中有 11 处错误，未导入任何评分" in body
    row = sheet.row
    assert error_rows(body) == [
        f'<tr><td class="num">{row("1.1-1-2")}</td><td>J 得分</td><td>评定为达标时得分应为满分 20。</td></tr>',
        f'<tr><td class="num">{row("1.1-1-3")}</td><td>J 得分</td><td>基本达标的得分应大于 0 且小于满分 15。</td></tr>',
        f'<tr><td class="num">{row("1.2-1-1")}</td><td>J 得分</td><td>得分必须是数字，而不是“七分”。</td></tr>',
        f'<tr><td class="num">{row("1.2-1-2")}</td><td>J 得分</td><td>评定为基本达标时必须填写得分。</td></tr>',
        f'<tr><td class="num">{row("2.1-1")}</td><td>G–I 达标/基本达标/未达标</td><td>达标、基本达标、未达标只能选一项。</td></tr>',
        f'<tr><td class="num">{row("2.1-2-1")}</td><td>G–I 达标/基本达标/未达标</td>'
        "<td>填写了得分或备注，但未选择评定（达标 / 基本达标 / 未达标）。</td></tr>",
        f'<tr><td class="num">{row("3.1-3")}</td><td>J 得分</td><td>得分的最小单位为 0.5 分。</td></tr>',
        f'<tr><td class="num">{row("3.2-1-1")}</td><td>A 编号</td>'
        "<td>细则 3.2-1-1 仅适用于市级临床重点专科，该科室不适用。</td></tr>",
        f'<tr><td class="num">{row("5.2-3")}</td><td>A 编号</td>'
        f"<td>编号 1.1-1-1 重复（第 {row('1.1-1-1')} 行已有）。</td></tr>",
        f'<tr><td class="num">{bad_code_row}</td><td>A 编号</td><td>标准 cq2011 中没有编号为 9.9-9 的细则。</td></tr>',
        f'<tr><td class="num">{row("5.2-5")}</td><td>J 得分</td><td>评定为未达标时得分应为 0。</td></tr>',
    ]
    assert not Rating.objects.filter(assessment=assessment).exists()
    assert AuditEvent.objects.changes().count() == events  # (signing in is recorded, but changes nothing)


def test_a_sheet_of_another_standard_is_refused(cast: Cast) -> None:
    other = StandardFactory(code="cq2020", title="另一标准", total_points=Decimal("10"))
    chapter = ChapterFactory(standard=other, number=1, title="章", max_points=Decimal("10"))
    item = ItemFactory(chapter=chapter, code="1.1", position=1, title="项", max_points=Decimal("10"))
    CriterionFactory(item=item, code="1.1-1-1", position=1, text="条款", max_points=10)
    client = browser(cast, "head_a")
    sheet = Sheet(client.get("/standards/cq2020/sheet.xlsx").content)
    sheet.rate("1.1-1-1", "met")
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = upload(client, assessment.pk, sheet.bytes())
    assert response.status_code == 400
    assert error_rows(response.content.decode()) == [
        f'<tr><td class="num">{excel.STANDARD_ROW}</td><td>B 评价标准</td>'
        "<td>此表是标准 cq2020 的评分表，本评审使用标准 cq2011。</td></tr>"
    ]
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_a_sheet_of_another_hospital_is_refused(cast: Cast) -> None:
    of_a = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    of_b = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.INSPECTION)
    client = browser(cast, "qc_admin")
    sheet = Sheet(client.get(f"/assessments/{of_a.pk}/sheet.xlsx").content)
    sheet.rate("1.1-1-1", "met")
    response = upload(client, of_b.pk, sheet.bytes())
    assert response.status_code == 400
    assert "此表是 甲医院 的评分表，不能导入 乙医院 的评审。" in response.content.decode()
    assert not Rating.objects.filter(assessment=of_b).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"code,rating\n1.1-1-1,met\n", "文件不是 Excel 工作簿（.xlsx）。"),
        (b"PK\x03\x04 not really a zip", "文件已损坏，无法读取。"),
        ("plain-workbook", "这不是本系统导出的评分表"),
    ],
)
def test_a_file_that_is_not_a_score_sheet_is_refused_whole(cast: Cast, content: object, message: str) -> None:
    if content == "plain-workbook":
        book = Workbook()
        book.active.append(["编号", "达标", "基本达标", "未达标", "得分", "备注"])
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    assert isinstance(content, bytes)
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = upload(browser(cast, "head_a"), assessment.pk, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_a_missing_file_is_asked_for(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(f"/assessments/{assessment.pk}/sheet/")
    assert response.status_code == 400
    assert "请选择要上传的评分表" in response.content.decode()


# ---------------------------------------------------- versions, returns and locks --


def test_a_rating_changed_after_the_export_is_a_conflict(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_variously(assessment, cast.head_a)
    client = browser(cast, "head_a")
    sheet = Sheet(client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    # Meanwhile a colleague changes 1.1-1-2 in the form.
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-2")
    rating_save(actor=cast.staff_a, assessment=assessment, criterion=criterion, rating="unmet", expected_version=1)
    sheet.rate("1.1-1-1", "partial", 10, "新的意见")  # a real change elsewhere
    before = stored(assessment)

    response = upload(client, assessment.pk, sheet.bytes())

    assert response.status_code == 400
    assert error_rows(response.content.decode()) == [
        f'<tr><td class="num">{sheet.row("1.1-1-2")}</td><td>A 编号</td>'
        "<td>导出评分表后，staff_a 已修改此细则（现为“未达标”0 分）；请重新导出后再导入。</td></tr>"
    ]
    assert stored(assessment) == before


def test_a_returned_self_assessment_takes_only_the_returned_criteria(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    returned = Criterion.objects.get(standard__code="cq2011", code="1.1-1-2")
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=returned, reason="缺建科文件")
    client = browser(cast, "head_a")
    assert "导入 Excel 评分表" in client.get(f"/assessments/{assessment.pk}/").content.decode()
    sheet = Sheet(client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    sheet.rate("1.1-1-2", "partial", 10, "已补建科文件")
    sheet.rate("1.1-1-3", "unmet")

    refused = upload(client, assessment.pk, sheet.bytes())

    assert refused.status_code == 400
    assert error_rows(refused.content.decode()) == [
        f'<tr><td class="num">{sheet.row("1.1-1-3")}</td><td>A 编号</td><td>只能修改被退回的细则。</td></tr>'
    ]
    assert stored(assessment)["1.1-1-2"] == ("met", Decimal("20"), "")
    sheet.rate("1.1-1-3", "met", 15)
    accepted = upload(client, assessment.pk, sheet.bytes())
    assert accepted.status_code == 302
    assert stored(assessment)["1.1-1-2"] == ("partial", Decimal("10"), "已补建科文件")
    assert "已从评分表导入 1 项评分；101 项与已有评分相同" in client.get(accepted.url).content.decode()


def test_a_submitted_assessment_refuses_an_import(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, status=AssessmentStatus.SUBMITTED)
    sheet = blank_sheet(cast)
    sheet.rate("1.1-1-1", "met")
    client = browser(cast, "head_a")
    response = upload(client, assessment.pk, sheet.bytes())
    assert response.status_code == 409
    assert "评审已提交或已定稿，不能再导入评分。" in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "导入 Excel 评分表" not in page
    assert f"/assessments/{assessment.pk}/sheet.xlsx" in page


def test_the_pages_offer_the_downloads_and_the_upload_only_where_it_applies(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    own = browser(cast, "staff_a").get(f"/assessments/{assessment.pk}/").content.decode()
    assert f'href="/assessments/{assessment.pk}/sheet.xlsx"' in own
    assert 'href="/standards/cq2011/sheet.xlsx"' in own
    assert f'action="/assessments/{assessment.pk}/sheet/"' in own
    qc = browser(cast, "qc_admin").get(f"/assessments/{assessment.pk}/").content.decode()
    assert f'href="/assessments/{assessment.pk}/sheet.xlsx"' in qc
    assert f'action="/assessments/{assessment.pk}/sheet/"' not in qc
    home = browser(cast, "head_b").get("/").content.decode()
    assert 'href="/standards/cq2011/sheet.xlsx"' in home


# ------------------------------------------------------------------- queries --


def test_the_filled_sheet_export_reads_a_fixed_number_of_queries(cast: Cast, django_assert_max_num_queries) -> None:
    few = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    many = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    RatingFactory(assessment=few, criterion=criterion)
    rate_all(many)
    client = browser(cast, "head_a")
    client.get(f"/assessments/{few.pk}/sheet.xlsx")  # warm the session
    counts = []
    for assessment in (few, many):
        # Session, user, assessment; criteria; ratings; the result (chapters, items, ratings, criteria, thresholds).
        with CaptureQueriesContext(connection) as ctx, django_assert_max_num_queries(10):
            assert client.get(f"/assessments/{assessment.pk}/sheet.xlsx").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_blank_sheet_export_reads_a_fixed_number_of_queries(cast: Cast, django_assert_num_queries) -> None:
    client = browser(cast, "head_a")
    client.get("/standards/cq2011/sheet.xlsx")
    with django_assert_num_queries(4):  # session, user, standard, criteria with items and chapters
        assert client.get("/standards/cq2011/sheet.xlsx").status_code == 200


def test_an_import_costs_a_bounded_number_of_queries_per_row(cast: Cast) -> None:
    source = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    rate_all(source)
    client = browser(cast, "head_a")
    content = client.get(f"/assessments/{source.pk}/sheet.xlsx").content
    copy = AssessmentFactory(hospital=cast.hospital_a, year=2027)
    with CaptureQueriesContext(connection) as ctx:
        assert upload(client, copy.pk, content).status_code == 302
    # Each row goes through rating_set (lock, checks, indicator and profile suggestions, write, audit),
    # so the cost is per row, and bounded.
    assert len(ctx.captured_queries) <= 9 * 102, len(ctx.captured_queries)
