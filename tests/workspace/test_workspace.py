"""The rating workspace (issue 13): every chapter on one page, the bulk 达标 of a chapter, unchanged saves."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from departments.services import profile_save
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring import services as scoring_services
from scoring.models import AssessmentKind, AssessmentStatus, Criterion, Rating, Standard
from scoring.services import assessment_submit, criterion_return
from tests.conftest import Cast
from tests.evidence.conftest import attach
from tests.factories import AssessmentFactory, AssignmentFactory, UserFactory, rate_all
from workspace import services
from workspace.services import rating_save

pytestmark = pytest.mark.django_db

CHAPTER_2 = ["2.1-1", "2.1-2-1", "2.1-2-2", "2.1-3-1", "2.1-3-2", "2.1-4-1", "2.1-4-2", "2.2-1", "2.3-1-1", "2.3-1-2"]


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def criterion(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def codes(number: int) -> list[str]:
    return list(
        Criterion.objects.filter(standard__code="cq2011", item__chapter__number=number)
        .order_by("position")
        .values_list("code", flat=True)
    )


# --- the page --------------------------------------------------------------------------------------


def test_the_workspace_shows_every_chapter_and_a_chapter_url_only_its_own(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    client = browser(cast, "head_a")
    page = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert page.count('<article class="criterion') == 102
    for number in range(1, 6):
        assert f'id="chapter-{number}"' in page
    chapter = client.get(f"/assessments/{assessment.pk}/chapters/3/").content.decode()
    assert chapter.count('<article class="criterion') == len(codes(3)) == 28
    assert 'id="chapter-3"' in chapter and 'id="chapter-1"' not in chapter


def test_search_matches_codes_and_wording_and_filters_combine(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("3.1-2-1"), rating="met")
    client = browser(cast, "head_a")
    found = client.get(f"/assessments/{assessment.pk}/?q=监护仪", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="c-3.1-2-1"' in found and 'id="c-1.1-1-1"' not in found
    assert "<html" not in found
    by_code = client.get(f"/assessments/{assessment.pk}/?q=4.1-7").content.decode()
    assert 'id="c-4.1-7-1"' in by_code and by_code.count('<article class="criterion') == 1
    unrated = client.get(f"/assessments/{assessment.pk}/?q=监护仪&show=unrated").content.decode()
    assert 'id="c-3.1-2-1"' not in unrated
    nothing = client.get(f"/assessments/{assessment.pk}/?q=不存在的条文").content.decode()
    assert "没有与“不存在的条文”相符的细则" in nothing


def test_the_returned_and_differs_filters(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    rate_all(own)
    rate_all(inspection)
    Rating.objects.filter(assessment=inspection, criterion__code="2.1-1").update(rating="unmet", score=0)
    assessment_submit(actor=cast.head_a, assessment=own)
    criterion_return(actor=cast.inspector, assessment=own, criterion=criterion("1.1-1-2"), reason="请补充")

    differs = browser(cast, "inspector").get(f"/assessments/{inspection.pk}/?show=differs").content.decode()
    assert differs.count('<article class="criterion') == 1 and 'id="c-2.1-1"' in differs
    returned = browser(cast, "head_a").get(f"/assessments/{own.pk}/?show=returned").content.decode()
    assert returned.count('<article class="criterion') == 1 and 'id="c-1.1-1-2"' in returned


def _fill(assessment: Any, cast: Cast, n: int) -> None:
    """n ratings, n evidence files and an open return on the first criterion."""
    for code in [c.code for c in Criterion.objects.filter(standard__code="cq2011").order_by("position")][:n]:
        rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion(code), rating="met")
        attach(cast.head_a, assessment, code=code)


@pytest.mark.parametrize(
    "url", ["/assessments/{pk}/", "/assessments/{pk}/chapters/1/", "/assessments/{pk}/?show=unrated"]
)
def test_workspace_queries_do_not_grow_with_ratings_or_evidence(
    cast: Cast, url: str, django_assert_max_num_queries: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    few = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    many = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    _fill(few, cast, 5)
    _fill(many, cast, 10)
    client = browser(cast, "head_a")
    client.get(url.format(pk=few.pk))  # warm the session and the standard's cache
    for assessment in (few, many):
        with django_assert_max_num_queries(18):
            assert client.get(url.format(pk=assessment.pk)).status_code == 200


def test_the_whole_workspace_costs_the_queries_of_one_chapter(cast: Cast) -> None:
    own = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(own)
    inspection = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    client = browser(cast, "inspector")
    client.get(f"/assessments/{inspection.pk}/chapters/1/")  # warm the session and the standard's cache

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/assessments/{inspection.pk}/{url}").status_code == 200
        return len(captured)

    # Chapter 2 has profile rules, chapter 4 the indicators, chapter 5 neither: each source of suggestions
    # costs a fixed number of queries when present. The rest does not depend on how many criteria are shown.
    indicators = queries("chapters/4/") - queries("chapters/5/")
    assert queries("") == queries("chapters/2/") + indicators  # 102 criteria, or 10


# --- rating the rest of a chapter 达标 -------------------------------------------------------------


def test_the_rest_of_a_chapter_is_rated_met_leaving_veto_items_unmet_suggestions_and_rated_ones(cast: Cast) -> None:
    profile_save(actor=cast.head_a, hospital=cast.hospital_a, year=2026, data={"aicu_beds": 10, "aicu_nurses": 24})
    assessment = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=criterion("2.1-1"), rating="unmet")
    done = services.chapter_rest_met(actor=cast.staff_a, assessment=assessment, chapter_number=2)

    expected = [c for c in CHAPTER_2 if c not in ("2.1-1", "2.1-3-1")]  # rated already; the profile says unmet
    assert [r.criterion.code for r in done] == expected
    stored = {r.criterion.code: r for r in Rating.objects.filter(assessment=assessment).select_related("criterion")}
    assert stored["2.1-1"].rating == "unmet" and stored["2.1-1"].version == 1
    assert "2.1-3-1" not in stored
    assert all(stored[c].rating == "met" and stored[c].rated_by == cast.staff_a for c in expected)
    events = AuditEvent.objects.filter(action="rating.set", assessment_id=assessment.pk, reason__contains="第 2 章")
    assert sorted(events.values_list("criterion_code", flat=True)) == sorted(expected)

    chapter_1 = services.chapter_rest_met(actor=cast.head_a, assessment=assessment, chapter_number=1)
    assert {r.criterion.code for r in chapter_1}.isdisjoint({"1.1-1-1", "1.2-2-1"})  # the ★ items
    assert len(chapter_1) == len(codes(1)) - 2
    assert services.chapter_rest_met(actor=cast.head_a, assessment=assessment, chapter_number=1) == []


def test_the_rest_of_a_chapter_is_all_or_nothing(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    real = scoring_services.rating_set

    def failing(**kwargs: Any) -> Rating:
        if kwargs["criterion"].code == "2.3-1-1":
            raise ValidationError({"criterion": "boom"})
        return real(**kwargs)

    monkeypatch.setattr(scoring_services, "rating_set", failing)
    with pytest.raises(ValidationError):
        services.chapter_rest_met(actor=cast.head_a, assessment=assessment, chapter_number=2)
    assert not Rating.objects.filter(assessment=assessment).exists()
    assert not AuditEvent.objects.filter(action="rating.set").exists()


def test_the_rest_of_a_chapter_follows_the_permission_table(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    url = f"/api/v1/assessments/{assessment.pk}/chapters/2/rest-met/"
    assert cast.client("qc_admin").post(url).status_code == 403  # the QC side does not rate a self-assessment
    assert cast.client("head_b").post(url).status_code == 404
    assert cast.client("head_a").post(f"/api/v1/assessments/{assessment.pk}/chapters/9/rest-met/").status_code == 404
    answer = cast.client("head_a").post(url)
    assert answer.status_code == 200 and answer.json() == {"chapter": 2, "rated": CHAPTER_2}
    rate_all(assessment)
    assessment_submit(actor=cast.head_a, assessment=assessment)
    refused = cast.client("head_a").post(url)
    assert refused.status_code == 409
    html = browser(cast, "head_a").post(f"/assessments/{assessment.pk}/chapters/2/rest-met/", HTTP_HX_REQUEST="true")
    assert "不能再修改评分" in html.content.decode()


def test_a_team_member_rates_the_rest_of_their_own_chapters_only(cast: Cast) -> None:
    rnd = round_create(
        actor=cast.qc_admin,
        name="批量",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 2),
    )
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    lead = UserFactory(username="lead", role="inspector", hospital=None)
    AssignmentFactory(inspector=lead, hospital=cast.hospital_a)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=lead, is_lead=True)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, chapters=[5])
    base = f"/api/v1/assessments/{entry.inspection_id}/chapters"
    assert cast.client("inspector").post(f"{base}/2/rest-met/").status_code == 403
    assert not Rating.objects.filter(assessment_id=entry.inspection_id).exists()
    assert cast.client("inspector").post(f"{base}/5/rest-met/").status_code == 200
    assert Rating.objects.filter(assessment_id=entry.inspection_id).count() == len(codes(5))


def test_a_returned_self_assessment_rates_only_its_open_returns(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    rate_all(assessment)
    Rating.objects.filter(assessment=assessment, criterion__code__in=["2.3-1-1", "2.3-1-2"]).delete()
    assessment_submit(actor=cast.head_a, assessment=assessment)
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=criterion("2.3-1-2"), reason="请评定")
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.RETURNED
    done = services.chapter_rest_met(actor=cast.head_a, assessment=assessment, chapter_number=2)
    assert [r.criterion.code for r in done] == ["2.3-1-2"]
