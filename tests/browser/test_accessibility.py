"""Accessibility of the key pages, checked by axe-core in real Chromium at tablet and desktop widths.

WCAG 2 A/AA rules, contrast included; any serious or critical violation fails with the rule and the elements.
"""

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page

from evidence.models import Evidence
from rectification.services import rectification_plan_create
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import AssessmentKind, Rating, Standard
from scoring.services import assessment_submit
from tests.browser.test_self_assessment import PageFor
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


def violations(page: Page) -> list[str]:
    # Evaluated through the DevTools protocol: the page's CSP refuses inline <script> tags.
    page.evaluate(AXE)
    found = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"]}});
            return r.violations
              .filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
        }"""
    )
    return list(found)


@pytest.mark.parametrize("width", [768, 1280])
def test_key_pages_have_no_serious_accessibility_violations(
    cast: Cast, page_for: PageFor, new_page: PageFor, width: int
) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="无障碍检查",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 2),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=True)
    rate_all(entry.self_assessment)
    Rating.objects.filter(assessment=entry.self_assessment, criterion__code="1.1-1-2").update(
        rating="partial", score=10
    )
    rate_all(entry.inspection)
    Rating.objects.filter(assessment=entry.inspection, criterion__code="2.1-1").update(rating="unmet", score=0)
    assessment_submit(actor=cast.inspector, assessment=entry.inspection)
    assessment_finalize(actor=cast.inspector, assessment=entry.inspection)
    rectification_plan_create(actor=cast.inspector, assessment=entry.inspection)
    draft = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    assert not Evidence.objects.exists()

    pages = {
        "anonymous": ["/", "/accounts/login/"],
        "head_a": ["/", f"/assessments/{entry.self_assessment_id}/", "/rectification/"],
        "head_b": [
            f"/assessments/{draft.pk}/",
            f"/assessments/{draft.pk}/chapters/3/",
            f"/assessments/{draft.pk}/submit/",
        ],
        "inspector": [
            f"/assessments/{entry.inspection_id}/",
            f"/assessments/{entry.inspection_id}/result/",
            f"/assessments/{entry.inspection_id}/variance/",
            f"/assessments/{entry.inspection_id}/history/",
        ],
        "qc_admin": ["/rounds/", f"/rounds/{rnd.pk}/", "/rounds/new/", "/assessments/", "/audit/"],
    }
    problems = []
    for who, urls in pages.items():
        page = new_page(width=width) if who == "anonymous" else page_for(who, width=width)
        for url in urls:
            page.goto(url)
            problems += [f"{who} {url}: {v}" for v in violations(page)]
    assert problems == [], "\n".join(problems)
