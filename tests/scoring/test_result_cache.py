"""The cached result (issue 16) can never be stale: every way of changing ratings gives the assessment a new
ratings revision in the same transaction, and a result is cached only under the revision it was computed from.

Each test warms the cache with the result as the API serves it, changes the ratings through one real path,
then checks that the API and the pages serve exactly what a fresh computation gives.
"""

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring import engine, selectors
from scoring.models import Assessment, AssessmentKind, AssessmentStatus, Criterion, Rating
from scoring.services import assessment_reopen, assessment_submit, criterion_return
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all
from tests.scoring.sheets import Sheet, upload_file
from workspace.services import assessment_finalize, rating_save


def computed(assessment: Assessment) -> dict[str, Any]:
    """The result computed from scratch, past every cache, from what is stored now."""
    fresh = Assessment.objects.select_related("hospital", "standard").get(pk=assessment.pk)
    if fresh.is_finalized:
        return fresh.final_result
    parts = selectors._standard_parts.__wrapped__(fresh.standard_id, fresh.standard.revision)
    ratings = {
        code: engine.RatingInput(rating=r, score=s)
        for code, r, s in Rating.objects.filter(assessment=fresh).values_list("criterion__code", "rating", "score")
    }
    return engine.result_as_dict(
        engine.evaluate(
            criteria=parts.criteria,
            ratings=ratings,
            key_specialty=fresh.hospital.key_specialty,
            level=fresh.hospital.level,
            thresholds=parts.thresholds,
            chapters=parts.chapters,
            items=parts.items,
        )
    )


def served(cast: Cast, assessment: Assessment, who: str = "qc_admin") -> dict[str, Any]:
    response = cast.client(who).get(f"/api/v1/assessments/{assessment.pk}/result/")
    assert response.status_code == 200, response.content[:300]
    return response.json()


def warm(cast: Cast, assessment: Assessment) -> dict[str, Any]:
    """Serve the result twice (computed, then from the cache) and check both against a fresh computation."""
    first, second = served(cast, assessment), served(cast, assessment)
    assert first == second == computed(assessment)
    return first


def assert_fresh(cast: Cast, assessment: Assessment, before: dict[str, Any]) -> None:
    after = served(cast, assessment)
    assert after == computed(assessment)
    assert after != before, "the path under test changed nothing: it proves nothing"
    # The selectors the pages use agree (a caller holding the assessment loaded before the write included).
    assert selectors.assessment_result_data(assessment) == after or assessment.is_finalized


def crit(code: str) -> Criterion:
    return Criterion.objects.get(standard__code="cq2011", code=code)


def draft(cast: Cast, kind: str = AssessmentKind.SELF) -> Assessment:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=kind)
    rate_all(assessment)
    return Assessment.objects.select_related("hospital", "standard").get(pk=assessment.pk)


def test_an_api_put_is_served_at_once(cast: Cast) -> None:
    assessment = draft(cast)
    before = warm(cast, assessment)
    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-2/", {"rating": "unmet"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert_fresh(cast, assessment, before)


def test_a_form_save_is_served_at_once(cast: Cast) -> None:
    assessment = draft(cast)
    before = warm(cast, assessment)
    client = Client()
    client.force_login(cast.head_a)
    response = client.post(
        f"/assessments/{assessment.pk}/criteria/3.1-3/", {"rating": "partial", "score": "7.5"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert_fresh(cast, assessment, before)


def test_a_bulk_rating_of_a_chapter_is_served_at_once(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rating_save(actor=cast.head_a, assessment=assessment, criterion=crit("5.2-5"), rating="unmet")
    before = warm(cast, assessment)
    response = cast.client("head_a").post(f"/api/v1/assessments/{assessment.pk}/chapters/5/rest-met/")
    assert response.status_code == 200, response.content
    assert response.json()["rated"]
    assert_fresh(cast, assessment, before)


def test_a_score_sheet_import_is_served_at_once(cast: Cast) -> None:
    assessment = draft(cast)
    before = warm(cast, assessment)
    client = Client()
    client.force_login(cast.head_a)
    sheet = Sheet(client.get(f"/assessments/{assessment.pk}/sheet.xlsx").content)
    sheet.rate("2.1-1", "unmet", remark="人员不足")
    sheet.rate("3.1-3", "partial", score=Decimal("5"))
    file = upload_file(sheet.bytes())
    response = client.post(f"/assessments/{assessment.pk}/sheet/", {"file": file})
    assert response.status_code == 302, response.content[:500]
    assert_fresh(cast, assessment, before)


def test_a_returned_criterion_rated_again_is_served_at_once(cast: Cast) -> None:
    assessment = assessment_submit(actor=cast.head_a, assessment=draft(cast))
    criterion_return(actor=cast.inspector, assessment=assessment, criterion=crit("1.2-3-2"), reason="证明缺失")
    before = warm(cast, assessment)
    rating_save(actor=cast.staff_a, assessment=assessment, criterion=crit("1.2-3-2"), rating="unmet")
    assert_fresh(cast, assessment, before)


def test_a_finalized_result_is_the_snapshot_and_a_reopened_inspection_is_live_again(cast: Cast) -> None:
    inspection = draft(cast, AssessmentKind.INSPECTION)
    submitted = assessment_submit(actor=cast.qc_admin, assessment=inspection)
    before = warm(cast, submitted)
    reopened = assessment_reopen(actor=cast.qc_admin, assessment=submitted, reason="提交过早")
    assert served(cast, reopened) == before == computed(reopened)  # the same ratings: the same result
    rating_save(actor=cast.inspector, assessment=reopened, criterion=crit("2.1-1"), rating="unmet", remark="核查未达标")
    assert_fresh(cast, reopened, before)
    changed = served(cast, reopened)
    finalized = assessment_finalize(
        actor=cast.qc_admin, assessment=assessment_submit(actor=cast.qc_admin, assessment=reopened)
    )
    assert finalized.status == AssessmentStatus.FINALIZED
    assert served(cast, finalized) == finalized.final_result == changed == computed(finalized)


def test_writes_past_the_services_are_served_at_once(cast: Cast) -> None:
    assessment = draft(cast)
    before = warm(cast, assessment)
    Rating.objects.filter(assessment=assessment, criterion__code="1.1-1-1").update(rating="unmet", score=0)
    assert_fresh(cast, assessment, before)
    before = warm(cast, assessment)
    Rating.objects.filter(assessment=assessment, criterion__code="1.1-1-1").delete()
    assert_fresh(cast, assessment, before)
    before = warm(cast, assessment)
    c = crit("1.1-1-1")
    Rating.objects.bulk_create([Rating(assessment=assessment, criterion=c, rating="met", score=c.max_points)])
    assert_fresh(cast, assessment, before)


def test_the_hospital_and_the_standard_are_part_of_the_key(cast: Cast) -> None:
    assessment = draft(cast)
    before = warm(cast, assessment)
    cast.hospital_a.level = "2A"
    cast.hospital_a.save(update_fields=["level"])
    # (An assessment object loaded before carries the hospital as it was then, as it always did: reload it.)
    assessment = Assessment.objects.select_related("hospital", "standard").get(pk=assessment.pk)
    assert_fresh(cast, assessment, before)
    before = warm(cast, assessment)
    Criterion.objects.filter(code="1.1-1-2").update(veto=True)
    Rating.objects.filter(assessment=assessment, criterion__code="1.1-1-2").update(rating="unmet", score=0)
    assessment = Assessment.objects.select_related("hospital", "standard").get(pk=assessment.pk)
    assert_fresh(cast, assessment, before)


def test_a_revision_is_new_with_each_change_goes_with_a_rollback_and_never_goes_back(cast: Cast) -> None:
    assessment = draft(cast)
    stale = Assessment.objects.get(pk=assessment.pk)
    start = stale.ratings_revision
    assert start > 0
    with pytest.raises(RuntimeError), transaction.atomic():
        Rating.objects.filter(assessment=assessment).update(remark="回滚")
        inside = Assessment.objects.get(pk=assessment.pk).ratings_revision
        assert inside > start
        raise RuntimeError
    assert Assessment.objects.get(pk=assessment.pk).ratings_revision == start
    Rating.objects.filter(assessment=assessment).update(remark="提交")
    after = Assessment.objects.get(pk=assessment.pk).ratings_revision
    assert after > inside  # a number a rolled-back write used is never handed out again
    # A full save of an instance loaded before the change does not put its older revision back.
    stale.year = 2027
    stale.save()
    assert Assessment.objects.get(pk=assessment.pk).ratings_revision == after


def test_the_result_api_answers_from_the_cache_in_two_queries_and_a_miss_in_three(cast: Cast) -> None:
    from django.db import connection

    assessment = draft(cast)
    client = cast.client("head_a")
    url = f"/api/v1/assessments/{assessment.pk}/result/"
    client.get(url)  # the standard's parts, cached per revision (tests/scoring/api/test_query_counts.py)
    selectors.results_cache_clear()
    with CaptureQueriesContext(connection) as miss:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as hit:
        assert client.get(url).status_code == 200
    # The token with its user; the assessment with hospital and standard; on a miss, the ratings with their
    # revision (one statement, so the revision names exactly the ratings read).
    assert len(miss) == 3, [q["sql"][:80] for q in miss]
    assert len(hit) == 2, [q["sql"][:80] for q in hit]


def test_a_rating_put_costs_a_fixed_number_of_queries(cast: Cast) -> None:
    from django.db import connection

    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    client = cast.client("head_a")
    url = f"/api/v1/assessments/{assessment.pk}/ratings/"
    from departments.models import CriterionRule

    plain = Criterion.objects.filter(standard=assessment.standard, indicators=None, applies_to="all").exclude(
        pk__in=CriterionRule.objects.values("criterion_id")
    )
    codes = list(plain.order_by("position").values_list("code", flat=True)[:3])
    counts = []
    for n, code in enumerate(codes * 2):
        body = {"rating": "met"} if n < len(codes) else {"rating": "unmet", "remark": "核查"}
        with CaptureQueriesContext(connection) as queries:
            response = client.put(f"{url}{code}/", body, format="json")
        assert response.status_code == 200, response.content
        counts.append([q["sql"][:60] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))])
    # Token and user; assessment; criterion with whether an indicator or a rule speaks to it (none here: no
    # query for suggestions); under the lock: the assessment again, the stored rating; the write; one audit insert.
    assert {len(c) for c in counts} == {7}, counts
    assert all(sum("audit_auditevent" in q for q in c) == 1 for c in counts)


def test_the_plain_rating_answer_is_what_the_serializer_documents(cast: Cast) -> None:
    from scoring.api.serializers import RatingSerializer, rating_data

    assessment = draft(cast)
    rating_save(
        actor=cast.head_a, assessment=assessment, criterion=crit("3.1-1-1"), rating="partial", score=Decimal("24.5")
    )
    for rating in Rating.objects.filter(assessment=assessment).select_related(
        "criterion", "rated_by", "assessment__hospital"
    ):
        assert rating_data(rating, key_specialty=True) == dict(RatingSerializer(rating).data)
    listed = cast.client("head_a").get(f"/api/v1/assessments/{assessment.pk}/ratings/").json()
    assert len(listed) == 102 and {r["criterion"] for r in listed} >= {"3.1-1-1"}
