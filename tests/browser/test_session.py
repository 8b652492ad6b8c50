"""The session expires in the middle of work: after signing in again, the user is back with nothing lost."""

import re

import pytest
from playwright.sync_api import expect

from scoring.models import Rating
from tests.browser.conftest import css_id, open_details
from tests.browser.test_offline import kept
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.factories import PASSWORD, AssessmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_answer_given_after_the_session_expired_is_kept_and_saved_after_login(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    page.goto(f"/assessments/{assessment.pk}/chapters/2/")
    page.context.clear_cookies(name="sessionid")  # the session is gone, as after the idle timeout

    box = open_details(page, "2.1-1")  # the remark is in the criterion's details
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


def _keep_an_answer_after_expiry(page, assessment_pk: int) -> None:
    page.goto(f"/assessments/{assessment_pk}/chapters/2/")
    page.context.clear_cookies(name="sessionid")
    box = open_details(page, "2.1-1")
    box.locator("textarea[name=remark]").fill("别人的备注")
    box.locator("label:has(input[value=met])").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?expired=1"))


def _sign_in(page, username: str, next_path: str) -> None:
    page.goto(f"/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form[action='/accounts/login/'] button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_path)))


def test_an_answer_kept_for_one_user_is_never_replayed_for_the_next_on_that_browser(
    cast: Cast, page_for: PageFor
) -> None:
    """Issue 12 L9: the kept answer carries its user; another user signing in drops it unseen."""
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=768)
    _keep_an_answer_after_expiry(page, assessment.pk)

    _sign_in(page, "staff_a", f"/assessments/{assessment.pk}/chapters/2/")
    page.wait_for_timeout(500)

    assert not Rating.objects.filter(assessment=assessment).exists()
    # Kept aside for head_a (in IndexedDB, static/js/offline.js), neither sent nor shown to staff_a.
    assert [(e["user"], e["code"]) for e in kept(page)] == [(str(cast.head_a.pk), "2.1-1")]
    expect(page.locator("#offline-banner")).to_have_text("")


def test_signing_out_forgets_the_kept_answers(cast: Cast, page_for: PageFor) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = page_for("head_a", width=1280)
    _keep_an_answer_after_expiry(page, assessment.pk)
    _sign_in(page, "head_a", "/accounts/password/")  # signed in again, on a page without the criterion
    assert len(kept(page)) == 1
    page.on("dialog", lambda dialog: dialog.accept())  # 有 1 项修改尚未同步…确定退出吗？

    with page.expect_navigation():
        page.locator("form[data-logout]").evaluate("form => form.requestSubmit()")

    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert kept(page) == []
