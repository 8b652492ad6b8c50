"""An expired session during autosave answers 401 to htmx (the page keeps the answer), not the login form."""

import pytest
from django.test import Client

from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def test_htmx_autosave_without_a_session_answers_401_with_the_login_url(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = Client().post(
        f"/assessments/{assessment.pk}/criteria/1.1-1-1/", {"rating": "met"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 401
    assert response["HX-Trigger"] == "sessionExpired"
    assert response["X-Login-URL"].startswith("/accounts/login/?next=")


def test_plain_requests_still_redirect_to_the_login_page(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    response = Client().get(f"/assessments/{assessment.pk}/")
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/assessments/{assessment.pk}/"


def test_the_login_page_explains_an_expired_session(db: None) -> None:
    page = Client().get("/accounts/login/?expired=1&next=/assessments/1/").content.decode()
    assert "登录已超时" in page
