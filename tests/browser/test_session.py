"""The session expires in the middle of work: after signing in again, the user is back with nothing lost."""

import re

import pytest
from playwright.sync_api import expect

from scoring.models import Rating
from tests.browser.conftest import css_id
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.factories import PASSWORD, AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_answer_given_after_the_session_expired_is_kept_and_saved_after_login(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/chapters/2/")
    page.context.clear_cookies(name="sessionid")  # the session is gone, as after the idle timeout

    box = page.locator(css_id("2.1-1"))
    box.locator("textarea[name=remark]").fill("排班表见附件")
    box.locator("label:has(input[value=met])").click()

    page.wait_for_url(re.compile(r"/accounts/login/\?expired=1"))
    expect(page.locator("main")).to_contain_text("登录已超时")
    page.fill("#id_username", "head_a")
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url(re.compile(rf"/assessments/{assessment.pk}/chapters/2/"))
    expect(page.locator(f"{css_id('2.1-1')} .save-state.saved")).to_be_visible()
    rating = Rating.objects.get(assessment=assessment, criterion__code="2.1-1")
    assert (rating.rating, rating.remark) == ("met", "排班表见附件")
