"""The home page's next steps on a tablet (issue 13, point 6): the head sees what is due and lands on it."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rounds.services import round_add_hospital, round_create
from scoring.models import Criterion, Standard
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.scoring.factories import RatingFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_head_sees_the_due_self_assessment_at_768px_and_lands_on_the_unrated_criteria(
    cast: Cast, page_for: PageFor
) -> None:
    today = timezone.localdate()
    rnd = round_create(
        actor=cast.qc_admin,
        name="2026 年度麻醉质控检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=today + datetime.timedelta(days=3),
        inspection_start=today + datetime.timedelta(days=10),
        inspection_end=today + datetime.timedelta(days=20),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    RatingFactory(
        assessment=entry.self_assessment, criterion=Criterion.objects.get(standard__code="cq2011", code="1.1-1-1")
    )
    page = page_for("head_a", width=768)
    page.goto("/")

    steps = page.locator(".next-steps")
    step = steps.get_by_role("link", name="甲医院 · 2026 年度自评：3 天后截止，尚有 101 项未评")
    expect(step).to_be_visible()
    # The list fits the tablet: nothing scrolls sideways, and the step's text wraps by word, not by character.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = step.bounding_box()
    assert box is not None and box["width"] > 200

    step.click()
    page.wait_for_url(f"**/assessments/{entry.self_assessment.pk}/?show=unrated")
    expect(page.locator("#c-1\\.1-1-2")).to_be_visible()
    expect(page.locator("#c-1\\.1-1-1")).to_have_count(0)
