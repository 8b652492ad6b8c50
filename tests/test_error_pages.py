"""403, 404 and 500 are anesqc's own pages: in Chinese, styled, with a way back home (issue 13).

Tests run with DEBUG off, so Django renders templates/403.html, 404.html and 500.html as it does in
production. The 500 page is rendered without a database and without a request context.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import translation
from django.views.defaults import server_error

from anesqc.urls import urlpatterns as project_urls
from tests.conftest import Cast


def boom(request: object) -> None:
    raise RuntimeError("an unexpected failure")


def refuse(request: object) -> None:
    raise PermissionDenied("您无权查看此页面的测试说明。")


# The project's URLs and two that fail on purpose.
urlpatterns = [path("test-boom/", boom), path("test-refuse/", refuse), *project_urls]

STYLED = '<link rel="stylesheet" href="/static/vendor/pico/pico.min.css">'


def browser(cast: Cast, who: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(cast.users[who])
    return client


@pytest.mark.django_db
def test_a_missing_page_answers_the_chinese_404_page_with_a_way_home(cast: Cast) -> None:
    response = browser(cast, "head_a").get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body and STYLED in body
    assert 'href="/"' in body and "返回首页" in body
    assert "/no-such-page/" in body
    assert "Not Found" not in body


@pytest.mark.django_db
def test_a_foreign_object_answers_the_same_404_page(cast: Cast) -> None:
    body = browser(cast, "head_b").get("/assessments/999999/").content.decode()
    assert "页面不存在" in body and "No Assessment matches" not in body


@pytest.mark.django_db
def test_a_refusal_answers_the_chinese_403_page_with_its_reason(cast: Cast) -> None:
    response = browser(cast, "staff_a").get("/assessments/new/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "无权访问" in body and STYLED in body and "返回首页" in body
    assert "403 Forbidden" not in body


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_refusal_with_a_message_shows_it(cast: Cast) -> None:
    response = browser(cast, "staff_a").get("/test-refuse/")
    assert response.status_code == 403
    assert "您无权查看此页面的测试说明。" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.urls("tests.test_error_pages")
def test_a_server_error_answers_the_chinese_500_page(cast: Cast) -> None:
    response = browser(cast, "head_a").get("/test-boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错" in body and STYLED.replace(">", "") in body.replace(">", "")
    assert 'href="/"' in body
    assert "an unexpected failure" not in body and "Server Error (500)" not in body


def test_the_500_page_needs_no_database_and_no_request_context(django_assert_num_queries) -> None:
    # No django_db mark: any query would fail the test. server_error renders without a RequestContext.
    with translation.override("zh-hans"):
        response = server_error(RequestFactory().get("/anything/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器出错" in body and 'href="/"' in body


def test_the_error_pages_have_english_too() -> None:
    with translation.override("en"):
        body = server_error(RequestFactory().get("/")).content.decode()
    assert "服务器出错" not in body and "Back to home" in body and "Server error" in body
