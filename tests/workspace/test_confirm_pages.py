"""The submit, finalize and result pages: what they say and link to (issue 13, D2 D12 D14 D15)."""

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from scoring.models import AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.evidence.conftest import attach, png
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def unrated_links(body: str) -> dict[str, str]:
    """{criterion code: href} of the "N 项细则未评" list."""
    section = body.split("项细则未评", 1)[1].split("</details>", 1)[0]
    return {code: href for href, code in re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)}


@pytest.mark.parametrize("page", ["submit", "finalize", "result"])
def test_each_unrated_criterion_links_to_its_own_chapter_and_card(cast: Cast, page: str) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    Rating.objects.filter(assessment=assessment, criterion__code__in=["1.1-1-2", "3.1-3", "5.2-2"]).delete()
    if page == "finalize":
        assessment_submit(actor=cast.head_a, assessment=assessment)
    who = "qc_admin" if page == "finalize" else "head_a"
    body = browser(cast, who).get(f"/assessments/{assessment.pk}/{page}/").content.decode()
    links = unrated_links(body)
    base = f"/assessments/{assessment.pk}/chapters"
    assert links == {
        "1.1-1-2": f"{base}/1/#c-1.1-1-2",
        "3.1-3": f"{base}/3/#c-3.1-3",
        "5.2-2": f"{base}/5/#c-5.2-2",
    }


def test_the_finalize_page_of_a_finalized_assessment_offers_no_finalizing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(assessment)
    assessment_submit(actor=cast.inspector, assessment=assessment)
    client = browser(cast, "inspector")
    before = client.get(f"/assessments/{assessment.pk}/finalize/").content.decode()
    assert "确认定稿" in before
    assessment_finalize(actor=cast.inspector, assessment=assessment)
    after = client.get(f"/assessments/{assessment.pk}/finalize/").content.decode()
    assert "确认定稿" not in after
    assert "定稿，结果已锁定" in after
    assert f'href="/assessments/{assessment.pk}/result/"' in after


def test_the_finalize_page_of_a_draft_says_it_must_be_submitted_first(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(assessment)
    body = browser(cast, "inspector").get(f"/assessments/{assessment.pk}/finalize/").content.decode()
    assert "确认定稿" not in body
    assert "提交后才能定稿" in body


def test_the_inspectors_submit_page_speaks_of_the_inspection(cast: Cast) -> None:
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    body = browser(cast, "inspector").get(f"/assessments/{inspection.pk}/submit/").content.decode()
    # The department's wording: returns by inspectors and "continue rating" of a self-assessment.
    assert "除非质控专家退回部分细则" not in body
    assert "定稿" in body and "重新打开" in body
    self_assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    own = browser(cast, "head_a").get(f"/assessments/{self_assessment.pk}/submit/").content.decode()
    assert "除非质控专家退回部分细则" in own


def test_the_outcome_names_the_veto_as_the_reason_for_failing(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    veto = Criterion.objects.get(standard=assessment.standard, code="4.1-7-1")
    Rating.objects.filter(assessment=assessment, criterion=veto).update(rating="unmet", score=0)
    body = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/result/").content.decode()
    reason = re.search(r'data-testid="outcome-reason">(.*?)</p>', body, re.S)
    assert reason is not None
    text = " ".join(reason.group(1).split())
    assert "单项否决" in text and "★" in text
    assert "总分已达到本级达标线" in text  # one criterion short of 1000 against 850: only the veto fails it


def test_the_outcome_names_the_threshold_when_the_total_is_short(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment, rating="unmet")
    Rating.objects.filter(assessment=assessment, criterion__veto=True).delete()
    rate_all(assessment)  # the ★ items met, everything else unmet
    body = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/result/").content.decode()
    reason = re.search(r'data-testid="outcome-reason">(.*?)</p>', body, re.S)
    assert reason is not None
    assert "低于本级达标线" in reason.group(1) and "单项否决" not in reason.group(1)


def test_a_passing_outcome_gives_no_failure_reason(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(assessment)
    assert assessment.status == AssessmentStatus.DRAFT
    body = browser(cast, "head_a").get(f"/assessments/{assessment.pk}/result/").content.decode()
    assert 'data-testid="outcome-reason"' not in body


def test_the_finalize_page_lists_files_still_awaiting_review(cast: Cast, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    attach(cast.head_a, assessment, png("待审核照片.png"), code="3.1-3")
    [reviewed] = attach(cast.head_a, assessment, png("已审核照片.png"), code="1.1-1-2")
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    reviewed.review_status = "accepted"
    reviewed.save(update_fields=["review_status"])
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(inspection)
    assessment_submit(actor=cast.inspector, assessment=inspection)
    # Finalizing the self-assessment, or the inspection read against it: the same files are listed.
    for target in (assessment, inspection):
        body = browser(cast, "inspector").get(f"/assessments/{target.pk}/finalize/").content.decode()
        assert "待审核" in body and "待审核照片.png" in body, target.kind
        assert f'href="/assessments/{target.pk}/chapters/3/#c-3.1-3"' in body
        assert "已审核照片.png" not in body
        assert "确认定稿" in body  # a warning, not a refusal
