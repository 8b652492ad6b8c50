"""Browser pages of scoring: every page × every member of the cast × own (A) or foreign (B) hospital."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import Assessment, AssessmentKind, Criterion, Rating
from tests.conftest import CAST, Cast
from tests.scoring.factories import AssessmentFactory, RatingFactory, rate_all
from workspace.services import rating_save

pytestmark = pytest.mark.django_db

LOGIN = 302  # anonymous visitors are sent to the login page

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "list": {"-": (200, 200, 200, 200, 200, 200, LOGIN)},
    "create-form": {"-": (200, 200, 200, 200, 403, 200, LOGIN)},
    "detail": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    "chapter": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
    # Autosave is an htmx request: without a session it answers 401 so the page keeps the answer.
    "rate": {"A": (403, 403, 404, 200, 200, 404, 401), "B": (403, 404, 404, 404, 404, 200, 401)},
    "submit-form": {"A": (403, 403, 404, 200, 403, 404, LOGIN), "B": (403, 404, 404, 404, 404, 200, LOGIN)},
    "finalize-form": {"A": (200, 200, 404, 403, 403, 404, LOGIN), "B": (200, 404, 404, 404, 404, 403, LOGIN)},
    "result": {"A": (200, 200, 404, 200, 200, 404, LOGIN), "B": (200, 404, 404, 404, 404, 200, LOGIN)},
}
CASES = [(page, target, who) for page, rows in EXPECTED.items() for target in rows for who in CAST]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


@pytest.mark.parametrize(("page", "target", "who"), CASES)
def test_page_permissions(cast: Cast, page: str, target: str, who: str) -> None:
    hospital = cast.hospital_a if target in ("A", "-") else cast.hospital_b
    assessment = AssessmentFactory(hospital=hospital, kind=AssessmentKind.SELF)
    client = browser(cast, who)
    base = f"/assessments/{assessment.pk}"
    if page == "rate":
        response = client.post(f"{base}/criteria/1.1-1-1/", {"rating": "met", "version": "0"}, HTTP_HX_REQUEST="true")
    else:
        url = {
            "list": "/assessments/",
            "create-form": "/assessments/new/",
            "detail": f"{base}/",
            "chapter": f"{base}/chapters/3/",
            "submit-form": f"{base}/submit/",
            "finalize-form": f"{base}/finalize/",
            "result": f"{base}/result/",
        }[page]
        if page == "finalize-form":
            assessment.status = "submitted"
            assessment.save(update_fields=["status"])
        response = client.get(url)
    expected = EXPECTED[page][target][CAST.index(who)]
    assert response.status_code == expected, (page, target, who)
    if expected == LOGIN:
        assert response.url.startswith("/accounts/login/?next=")


def test_the_list_shows_only_visible_assessments(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a)
    foreign = AssessmentFactory(hospital=cast.hospital_b)
    page = browser(cast, "head_b").get("/assessments/").content.decode()
    assert f"/assessments/{foreign.pk}/" in page
    assert f"/assessments/{own.pk}/" not in page
    assert cast.hospital_a.name not in page


def test_the_list_filter_answers_an_htmx_fragment(cast: Cast) -> None:
    AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "qc_admin").get("/assessments/?level=2A", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body
    assert "没有符合条件的评审" in body


def test_empty_states_say_what_to_do_next(cast: Cast) -> None:
    page = browser(cast, "head_a").get("/").content.decode()
    assert "新建评审" in page
    lonely = browser(cast, "inspector_unassigned").get("/").content.decode()
    assert "您还没有被分配到任何医院" in lonely


def test_creating_through_the_form_opens_the_assessment(cast: Cast) -> None:
    client = browser(cast, "head_a")
    response = client.post(
        "/assessments/new/",
        {"hospital": cast.hospital_a.pk, "standard": "cq2011", "kind": "self", "year": "2026"},
    )
    assert response.status_code == 302
    again = client.post(
        "/assessments/new/",
        {"hospital": cast.hospital_a.pk, "standard": "cq2011", "kind": "self", "year": "2026"},
    )
    assert again.status_code == 400
    assert "该医院本年度已有同类评审" in again.content.decode()


def test_bad_form_input_names_the_field_and_saves_nothing(cast: Cast) -> None:
    response = browser(cast, "head_a").post(
        "/assessments/new/", {"hospital": cast.hospital_b.pk, "standard": "nope", "kind": "self", "year": "x"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "请选择医院" in body and "请选择评价标准" in body and "请填写年度" in body


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "²", "请填写年度，例如 2026。"),  # a digit to str.isdigit(), no number to int()
        ("year", "99999999999", "年度应在 2000–2100 之间。"),
        ("year", "1999", "年度应在 2000–2100 之间。"),
        ("year", "", "请填写年度，例如 2026。"),
        ("hospital", "²", "请选择医院。"),
        ("hospital", "99999999999999999999", "请选择医院。"),
        ("standard", "", "请选择评价标准。"),
        ("kind", "both", "“both”不是有效的评审类型，应为 self 或 inspection。"),
    ],
)
def test_a_bad_field_when_creating_answers_400_at_that_field(cast: Cast, field: str, value: str, message: str) -> None:
    data = {"hospital": str(cast.hospital_a.pk), "standard": "cq2011", "kind": "self", "year": "2026", field: value}
    response = browser(cast, "head_a").post("/assessments/new/", data)
    assert response.status_code == 400
    assert f'<p class="field-error" role="alert">{message}</p>' in response.content.decode()
    assert not Assessment.objects.exists()


def test_autosave_answers_the_criterion_with_updated_totals(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "staff_a").post(
        f"/assessments/{assessment.pk}/criteria/3.1-3/",
        {"rating": "partial", "score": "7.5", "remark": "PETCO2 不足", "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'id="c-3.1-3"' in body
    assert 'hx-swap-oob="true"' in body
    assert '<span data-testid="total">5.25</span>' in body
    assert Rating.objects.get(assessment=assessment).score == 7.5


def test_a_bad_score_is_reported_on_the_field_and_nothing_is_saved(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/3.1-3/",
        {"rating": "partial", "score": "7.25", "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "得分的最小单位为 0.5 分" in body
    assert 'value="7.25"' in body  # what the user typed stays on screen
    assert not Rating.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rating": "partial", "score": "²"}, "得分必须是数字。"),
        ({"rating": "partial", "score": "1e999999999"}, "得分必须是数字。"),
        ({"rating": "partial", "score": "NaN"}, "得分必须是数字。"),
        ({"rating": "met", "version": "abc"}, "版本号应为不小于 0 的整数，请刷新页面后重试。"),
        ({"rating": "met", "version": "²"}, "版本号应为不小于 0 的整数，请刷新页面后重试。"),
        ({"rating": "met", "version": "99999999999"}, "版本号应为不小于 0 的整数，请刷新页面后重试。"),
        ({"rating": "met", "version": "-1"}, "版本号应为不小于 0 的整数，请刷新页面后重试。"),
        ({"rating": "met", "remark": "备" * 5001}, "备注不能超过 5000 字（现为 5001 字）。"),
        ({"remark": "先写了备注"}, "请先选择评定（达标 / 基本达标 / 未达标）。"),
        ({"rating": "superb"}, "“superb”不是有效的评定，应为 met、partial 或 unmet。"),
    ],
)
def test_bad_rating_input_is_named_at_its_field_and_nothing_is_saved(cast: Cast, data: dict, message: str) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "staff_a").post(
        f"/assessments/{assessment.pk}/criteria/3.1-3/", data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200  # htmx swaps the fragment, which shows the error and keeps the input
    body = response.content.decode()
    assert f'<p class="field-error" role="alert">{message}</p>' in body
    assert "未保存" in body
    assert not Rating.objects.filter(assessment=assessment).exists()


def test_without_javascript_bad_input_comes_back_as_a_message_naming_the_field(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(
        f"/assessments/{assessment.pk}/criteria/2.1-1/", {"rating": "met", "version": "²"}, follow=True
    )
    assert response.redirect_chain[0][0] == f"/assessments/{assessment.pk}/chapters/2/#c-2.1-1"
    assert "2.1-1 未保存：版本号应为不小于 0 的整数，请刷新页面后重试。" in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize("typed", ["7,5", "７.５", "7，5", " 7.5 ", "7.50"])
def test_a_score_typed_with_a_comma_or_full_width_digits_is_read(cast: Cast, typed: str) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "staff_a").post(
        f"/assessments/{assessment.pk}/criteria/3.1-3/",
        {"rating": "partial", "score": typed, "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert "已保存" in response.content.decode()
    assert Rating.objects.get(assessment=assessment).score == Decimal("7.5")


def test_a_concurrent_save_shows_the_other_value_and_keeps_it(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-2")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion, rating="met", expected_version=0)
    response = browser(cast, "staff_a").post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-2/",
        {"rating": "unmet", "version": "0"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "刚刚已将此细则评为“达标”（20 分）" in body
    assert Rating.objects.get(assessment=assessment).rating == "met"


def test_without_javascript_a_save_redirects_back_to_the_criterion(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = browser(cast, "head_a").post(f"/assessments/{assessment.pk}/criteria/2.1-1/", {"rating": "met"})
    assert response.status_code == 302
    assert response.url == f"/assessments/{assessment.pk}/chapters/2/#c-2.1-1"


def test_key_only_criteria_are_absent_for_other_departments(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b)
    page = browser(cast, "head_b").get(f"/assessments/{assessment.pk}/chapters/3/").content.decode()
    assert 'id="c-3.1-1-1"' in page
    assert 'id="c-3.2-1-1"' not in page
    key = AssessmentFactory(hospital=cast.hospital_a)
    page = browser(cast, "head_a").get(f"/assessments/{key.pk}/chapters/3/").content.decode()
    assert 'id="c-3.2-1-1"' in page
    assert "× 0.7" in page


def test_filters_show_unrated_and_veto_items(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion, rating="met")
    client = browser(cast, "head_a")
    unrated = client.get(f"/assessments/{assessment.pk}/?show=unrated").content.decode()
    assert 'id="c-1.1-1-1"' not in unrated and 'id="c-1.1-1-2"' in unrated
    veto = client.get(f"/assessments/{assessment.pk}/?show=veto").content.decode()
    assert 'id="c-1.1-1-1"' in veto and 'id="c-1.1-1-2"' not in veto


def test_a_submitted_self_assessment_is_read_only_in_the_browser(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = browser(cast, "head_a")
    assert client.post(f"/assessments/{assessment.pk}/submit/").status_code == 302
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert '<form method="post" action="/assessments/' not in page
    response = client.post(f"/assessments/{assessment.pk}/criteria/1.1-1-1/", {"rating": "met"}, HTTP_HX_REQUEST="true")
    assert "评审已提交或已定稿，不能再修改评分" in response.content.decode()
    assert not Rating.objects.filter(assessment=assessment).exists()


@pytest.mark.parametrize("url", ["/assessments/{pk}/", "/assessments/{pk}/chapters/3/", "/assessments/{pk}/result/"])
def test_page_queries_do_not_grow_with_ratings(cast: Cast, url: str, django_assert_num_queries) -> None:
    few = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    many = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    criteria = list(Criterion.objects.filter(standard__code="cq2011"))
    RatingFactory(assessment=few, criterion=criteria[0])
    Rating.objects.bulk_create(Rating(assessment=many, criterion=c, rating="met", score=c.max_points) for c in criteria)
    client = browser(cast, "head_a")
    client.get(url.format(pk=few.pk))  # warm the session
    counts = []
    for assessment in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url.format(pk=assessment.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    # All rated: the query for unrated criteria is skipped, so "many" may be one fewer, never more.
    assert counts[1] <= counts[0] <= 18  # 18: the indicator and profile-rule suggestions (chapter 1, 3)


def test_list_queries_do_not_grow_with_assessments(cast: Cast) -> None:
    client = browser(cast, "qc_admin")
    client.get("/assessments/")
    counts = []
    for year in (2020, 2021, 2022, 2023):
        AssessmentFactory(hospital=cast.hospital_a, year=year)
        AssessmentFactory(hospital=cast.hospital_b, year=year)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/assessments/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts


def test_finalizing_with_unrated_criteria_is_refused_with_a_message(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, status="submitted")
    client = browser(cast, "inspector")
    page = client.get(f"/assessments/{assessment.pk}/finalize/").content.decode()
    assert "仍有未评细则" in page and "disabled" in page
    response = client.post(f"/assessments/{assessment.pk}/finalize/", follow=True)
    assert "还有 102 项细则未评" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == "submitted"


@pytest.mark.parametrize(
    "url",
    [
        "/assessments/{pk}/submit/",
        "/assessments/{pk}/finalize/",
        "/assessments/{pk}/history/",
        "/assessments/{pk}/variance/",
        "/assessments/new/",
        "/rounds/",
        "/accounts/password/",
    ],
)
def test_more_page_queries_do_not_grow_with_ratings(cast: Cast, url: str) -> None:
    few = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2025, status="submitted")
    many = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION, year=2026, status="submitted")
    criterion = Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    RatingFactory(assessment=few, criterion=criterion)
    rate_all(many)
    client = browser(cast, "qc_admin")
    client.get(url.format(pk=few.pk))
    counts = []
    for assessment in (few, many):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url.format(pk=assessment.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[1] <= counts[0] <= 20, counts


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password/", "/rounds/new/"])
def test_account_pages_for_every_role(cast: Cast, who: str, url: str) -> None:
    response = browser(cast, who).get(url)
    if url == "/accounts/login/":
        assert response.status_code == 200
    elif who == "anonymous":
        assert response.status_code == 302
    elif url == "/rounds/new/":
        assert response.status_code == (200 if who == "qc_admin" else 403)
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("who", [w for w in CAST if w != "anonymous"])
def test_logout_is_a_post_and_ends_the_session(cast: Cast, who: str) -> None:
    client = browser(cast, who)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/assessments/").status_code == 302
