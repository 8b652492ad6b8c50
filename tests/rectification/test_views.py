"""Rectification in the browser: every page and POST × every member of the cast × own (A) or foreign (B)."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rectification.models import ItemStatus, RectificationEvidence, RectificationItem
from rectification.selectors import plan_for
from rectification.services import rectification_answer, rectification_verify
from tests.conftest import CAST, Cast
from tests.evidence.conftest import DOCX_BYTES, PDF_BYTES, pdf, upload_file

from .conftest import plan, shortfall_codes, stored_files

pytestmark = pytest.mark.django_db

LOGIN = 302  # anonymous visitors are sent to the login page
BACK = 302  # done: without htmx, back to the item's page

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous.
# Targets: an item of a finalized inspection of hospital A, or of hospital B; "-": no item involved.
# "verify" needs an answered item; "evidence" downloads a file the department attached to its answer.
EXPECTED = {
    "list": {"-": (200, 200, 200, 200, 200, 200, LOGIN)},
    "detail": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "answer": {"A": (403, 403, 404, BACK, BACK, 404, LOGIN), "B": (403, 404, 404, 404, 404, BACK, LOGIN)},
    "verify": {"A": (BACK, BACK, 404, 403, 403, 404, LOGIN), "B": (BACK, 404, 404, 404, 404, 403, LOGIN)},
    "assign": {"A": (BACK, BACK, 404, 403, 403, 404, LOGIN), "B": (BACK, 404, 404, 404, 404, 403, LOGIN)},
    "evidence": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def head_of(cast: Cast, item: RectificationItem) -> Any:
    return cast.head_a if item.assessment.hospital_id == cast.hospital_a.pk else cast.head_b


def in_a_month() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_page_permissions(cast: Cast, page: str, target: str, who: str) -> None:
    item = plan(cast, cast.hospital_b if target == "B" else cast.hospital_a)[0]
    if page in ("verify", "evidence"):
        rectification_answer(actor=head_of(cast, item), item=item, answer="已整改", files=[pdf()])
    client = browser(cast, who)
    base = f"/rectification/{item.pk}"
    if page == "list":
        response = client.get("/rectification/")
    elif page == "detail":
        response = client.get(f"{base}/")
    elif page == "answer":
        response = client.post(f"{base}/answer/", {"answer": "已补充建科文件", "files": [pdf()]})
    elif page == "verify":
        response = client.post(f"{base}/verify/", {"decision": "reject", "note": "缺少签字"})
    elif page == "assign":
        response = client.post(f"{base}/assign/", {"owner": "", "due_date": in_a_month()})
    else:
        evidence = RectificationEvidence.objects.get(item=item)
        response = client.get(f"/rectification/evidence/{evidence.pk}/")
    expected = EXPECTED[page][target][CAST.index(who)]
    assert response.status_code == expected, (page, target, who)
    if who == "anonymous":
        assert response.url.startswith("/accounts/login/?next=")
    elif expected == BACK:
        assert response.url == f"{base}/"
    # What happened matches the answer: nothing at all unless allowed.
    done = expected == BACK and who != "anonymous"
    item.refresh_from_db()
    if page == "answer":
        assert item.status == (ItemStatus.ANSWERED if done else ItemStatus.OPEN)
        assert RectificationEvidence.objects.filter(item=item).count() == (1 if done else 0)
    elif page == "verify":
        assert item.status == (ItemStatus.OPEN if done else ItemStatus.ANSWERED)
    elif page == "assign":
        assert (item.owner is None) == done


# The list -------------------------------------------------------------------------------------------


def test_the_list_shows_only_visible_items_and_flags_overdue_ones(cast: Cast) -> None:
    late, on_time = plan(cast, cast.hospital_a)
    foreign = plan(cast, cast.hospital_b)[0]
    RectificationItem.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=5))
    body = browser(cast, "staff_a").get("/rectification/").content.decode()
    assert f"/rectification/{late.pk}/" in body and f"/rectification/{on_time.pk}/" in body
    assert f"/rectification/{foreign.pk}/" not in body and cast.hospital_b.name not in body
    assert body.count('data-testid="overdue"') == 1
    assert "已逾期 5 天" in body
    row = body.split(f'id="rectification-{late.pk}"')[1].split("</tr>")[0]
    assert "已逾期" in row
    assert '<a href="/rectification/">整改</a>' in body  # the navigation link


def test_the_list_filters_by_status_overdue_and_hospital(cast: Cast) -> None:
    late, answered = plan(cast, cast.hospital_a)
    foreign = plan(cast, cast.hospital_b)[0]
    RectificationItem.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=1))
    rectification_answer(actor=cast.head_a, item=answered, answer="已整改")
    client = browser(cast, "qc_admin")

    def shown(query: str) -> set[int]:
        response = client.get(f"/rectification/?{query}", HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert "<html" not in body  # htmx gets the rows only
        return {i.pk for i in (late, answered, foreign) if f"/rectification/{i.pk}/" in body}

    assert shown("") == {late.pk, answered.pk, foreign.pk}
    assert shown("status=answered") == {answered.pk}
    assert shown("status=open") == {late.pk, foreign.pk}
    assert shown("overdue=true") == {late.pk}
    assert shown("overdue=false") == {answered.pk, foreign.pk}
    assert shown(f"hospital={cast.hospital_b.pk}") == {foreign.pk}
    page = client.get("/rectification/").content.decode()
    assert 'name="hospital"' in page and cast.hospital_b.name in page
    # A department sees one hospital only: no hospital filter to offer.
    assert 'name="hospital"' not in browser(cast, "head_a").get("/rectification/").content.decode()
    # A foreign hospital id is just an empty result.
    assert browser(cast, "head_a").get(f"/rectification/?hospital={cast.hospital_b.pk}").status_code == 200


def test_the_empty_list_says_when_items_appear(cast: Cast) -> None:
    body = browser(cast, "head_a").get("/rectification/").content.decode()
    assert "现场检查定稿后" in body and "会自动列为整改项" in body
    plan(cast, cast.hospital_a)
    body = browser(cast, "head_a").get("/rectification/?status=verified").content.decode()
    assert "没有符合条件的整改项" in body


# The detail page and its forms ----------------------------------------------------------------------


def test_the_department_gets_the_answer_form_and_the_qc_side_the_others(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    url = f"/rectification/{item.pk}/"
    department = browser(cast, "staff_a").get(url).content.decode()
    assert f'action="/rectification/{item.pk}/answer/"' in department
    assert 'enctype="multipart/form-data"' in department and 'type="file" name="files" multiple' in department
    assert "/verify/" not in department and "/assign/" not in department
    qc = browser(cast, "inspector").get(url).content.decode()
    assert "/answer/" not in qc
    assert f'action="/rectification/{item.pk}/assign/"' in qc
    assert "/verify/" not in qc  # nothing to verify until the department answers
    assert f'value="{cast.staff_a.pk}"' in qc and cast.head_b.username not in qc  # owners: hospital A only
    rectification_answer(actor=cast.head_a, item=item, answer="已补充建科文件")
    qc = browser(cast, "inspector").get(url).content.decode()
    assert f'action="/rectification/{item.pk}/verify/"' in qc and "已补充建科文件" in qc
    rectification_verify(actor=cast.inspector, item=item, accept=True)
    closed = browser(cast, "head_a").get(url).content.decode()
    assert "已销号" in closed and '<form method="post"' not in closed.split('id="item-panel"')[1]


def test_answering_through_htmx_answers_the_panel(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    response = browser(cast, "head_a").post(
        f"/rectification/{item.pk}/answer/",
        {"answer": "已补充建科文件", "files": [pdf("发文.pdf")]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and 'id="item-panel"' in body
    assert "已提交整改情况" in body and "发文.pdf" in body and "待核验" in body
    evidence = RectificationEvidence.objects.get(item=item)
    assert f'href="/rectification/evidence/{evidence.pk}/?preview=1"' in body


def test_an_empty_answer_is_refused_naming_answer(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_a)[0]
    client = browser(cast, "head_a")
    response = client.post(f"/rectification/{item.pk}/answer/", {"answer": "  ", "files": [pdf()]})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="answer-error"' in body and "请填写整改情况。" in body and "<html" in body
    htmx = client.post(f"/rectification/{item.pk}/answer/", {"answer": ""}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and 'role="alert"' in htmx.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    assert not RectificationEvidence.objects.exists() and stored_files(media_root) == []


def test_a_bad_file_is_named_the_answer_kept_on_screen_and_nothing_saved(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_a)[0]
    response = browser(cast, "staff_a").post(
        f"/rectification/{item.pk}/answer/",
        {"answer": "已补充建科文件", "files": [pdf("好.pdf"), upload_file("报告.exe", b"MZ")]},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "“报告.exe”的类型不允许，仅支持 PDF、图片、Word 和 Excel 文件。" in body
    assert ">已补充建科文件</textarea>" in body  # what the user typed is not lost
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN and item.answer == ""
    assert not RectificationEvidence.objects.exists() and stored_files(media_root) == []


def test_answering_a_closed_item_answers_409(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改")
    rectification_verify(actor=cast.qc_admin, item=item, accept=True)
    response = browser(cast, "head_a").post(f"/rectification/{item.pk}/answer/", {"answer": "再补充"})
    assert response.status_code == 409
    assert "整改项已销号，不能再答复。" in response.content.decode()
    item.refresh_from_db()
    assert item.answer == "已整改"


def test_a_rejection_needs_a_note_and_a_decision(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改")
    client = browser(cast, "inspector")
    url = f"/rectification/{item.pk}/verify/"
    response = client.post(url, {"decision": "reject", "note": ""})
    assert response.status_code == 400 and "退回整改时必须填写核验意见。" in response.content.decode()
    response = client.post(url, {"decision": "maybe"})
    assert response.status_code == 400 and "请选择“通过销号”或“退回整改”。" in response.content.decode()
    item.refresh_from_db()
    assert item.status == ItemStatus.ANSWERED
    response = client.post(url, {"decision": "reject", "note": "缺少签字页"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "已退回科室继续整改" in body and "缺少签字页" in body
    item.refresh_from_db()
    assert item.status == ItemStatus.OPEN
    # Verifying an item that is open again answers 409.
    assert client.post(url, {"decision": "accept"}).status_code == 409


def test_bad_assignments_name_the_field_and_change_nothing(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    client = browser(cast, "inspector")
    url = f"/rectification/{item.pk}/assign/"
    response = client.post(url, {"owner": cast.head_b.pk, "due_date": in_a_month()})
    assert response.status_code == 400 and "责任人须为该医院麻醉科的人员。" in response.content.decode()
    response = client.post(url, {"owner": "x", "due_date": "31/05/2026"})
    body = response.content.decode()
    assert response.status_code == 400 and "责任人须为该医院麻醉科的人员。" in body and "请填写整改期限" in body
    response = client.post(url, {"owner": cast.staff_a.pk, "due_date": in_a_month()})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.owner == cast.staff_a and item.due_date.isoformat() == in_a_month()


# Files ----------------------------------------------------------------------------------------------


def test_a_file_is_served_with_its_checked_type(cast: Cast) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(
        actor=cast.head_a, item=item, answer="已整改", files=[pdf("发文.pdf"), upload_file("记录.docx", DOCX_BYTES)]
    )
    document, sheet = RectificationEvidence.objects.order_by("id")
    client = browser(cast, "inspector")
    response = client.get(f"/rectification/evidence/{document.pk}/")
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == PDF_BYTES
    response = client.get(f"/rectification/evidence/{document.pk}/", {"preview": "1"})
    assert response["Content-Disposition"].startswith("inline;")  # the panel opens PDFs and images in a new tab
    response = client.get(f"/rectification/evidence/{sheet.pk}/", {"preview": "1"})
    assert response["Content-Disposition"].startswith("attachment;")


def test_a_foreign_unknown_or_missing_file_is_not_found(cast: Cast, media_root: Path) -> None:
    item = plan(cast, cast.hospital_b)[0]
    rectification_answer(actor=cast.head_b, item=item, answer="已整改", files=[pdf()])
    evidence = RectificationEvidence.objects.get()
    client = browser(cast, "head_a")
    assert client.get(f"/rectification/evidence/{evidence.pk}/").status_code == 404
    assert client.get(f"/rectification/evidence/{evidence.pk + 1000}/").status_code == 404
    (media_root / evidence.file.name).unlink()
    assert browser(cast, "head_b").get(f"/rectification/evidence/{evidence.pk}/").status_code == 404


# The plan on the result page ------------------------------------------------------------------------


def test_the_plan_summary_counts_and_flags_overdue_items(cast: Cast) -> None:
    late, answered = plan(cast, cast.hospital_a)
    RectificationItem.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - datetime.timedelta(days=2))
    rectification_answer(actor=cast.head_a, item=answered, answer="已整改")
    html = render_to_string("rectification/partials/plan_summary.html", {"items": plan_for(late.assessment)})
    assert "共 2 项：待整改 1，待核验 1，已销号 0。" in html
    assert "1 项已逾期" in html
    assert f'href="/rectification/{late.pk}/"' in html and f'href="/rectification/{answered.pk}/"' in html
    empty = render_to_string("rectification/partials/plan_summary.html", {"items": []})
    assert "没有整改项" in empty


# Query counts ---------------------------------------------------------------------------------------


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("who", ["qc_admin", "head_a"])
def test_list_queries_do_not_grow_with_items(cast: Cast, who: str) -> None:
    client = browser(cast, who)
    client.get("/rectification/")  # warm the session
    counts = []
    for n, year in ((1, 2024), (10, 2025)):
        RectificationItem.objects.all().delete()
        items = plan(cast, cast.hospital_a, partial={}, unmet=shortfall_codes(n), year=year)
        RectificationItem.objects.filter(pk=items[0].pk).update(due_date=timezone.localdate())
        assert len(items) == n
        counts.append(_count(client, "/rectification/"))
    assert counts[0] == counts[1] <= 6, counts


@pytest.mark.parametrize("who", ["inspector", "head_a"])
def test_detail_queries_do_not_grow_with_items_or_files(cast: Cast, who: str) -> None:
    client = browser(cast, who)
    counts = []
    for n, year in ((1, 2024), (10, 2025)):
        items = plan(cast, cast.hospital_a, partial={}, unmet=shortfall_codes(n), year=year)
        item = items[-1]
        rectification_answer(actor=cast.staff_a, item=item, answer="已整改", files=[pdf(f"{i}.pdf") for i in range(n)])
        client.get(f"/rectification/{item.pk}/")  # warm the session
        counts.append(_count(client, f"/rectification/{item.pk}/"))
    # 7 for an inspector: whether they may manage the item asks for the hospital's round team (issue 12, M3).
    assert counts[0] == counts[1] <= (7 if who == "inspector" else 6), counts


@pytest.mark.parametrize("who", ["qc_admin", "head_a"])
def test_the_admin_lists_items_and_files_read_only(cast: Cast, who: str) -> None:
    item = plan(cast, cast.hospital_a)[0]
    rectification_answer(actor=cast.head_a, item=item, answer="已整改", files=[pdf("发文.pdf")])
    client = browser(cast, who)
    urls = [
        "/admin/rectification/rectificationitem/",
        f"/admin/rectification/rectificationitem/{item.pk}/change/",
        "/admin/rectification/rectificationevidence/",
    ]
    for url in urls:
        response = client.get(url)
        if who == "qc_admin":
            assert response.status_code == 200, url
            if "/change/" in url or "rectificationevidence" in url:
                assert "发文.pdf" in response.content.decode(), url  # the files, inline or listed
        else:
            assert response.status_code == 302 and response.url.startswith("/admin/login/")
    if who == "qc_admin":
        assert client.get("/admin/rectification/rectificationitem/add/").status_code == 403
