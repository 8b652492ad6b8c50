"""Issue 14 item 3: "not applicable at level N" as a property of a criterion, default off, switched by a
qc_admin with a reason, audited, excluded from the applicable count and the maximum, thresholds unchanged.

Seed 001, 2.2-1 (education, 35 points): "三级医院麻醉科医师应具有本科以上学历或持有执业医师资格证书" — defined
only for 三级医院. Documented effect (docs/standard-format.md): a level-2 department is scored out of 965.
"""

from decimal import Decimal

import pytest
from django.test import Client

from audit.models import AuditEvent
from scoring import engine
from scoring.engine import CriterionSpec, RatingInput
from scoring.models import AssessmentKind, Criterion, Rating
from scoring.selectors import assessments_with_progress
from tests.conftest import Cast
from tests.factories import AssessmentFactory, rate_all

D = Decimal
URL = "/api/v1/standards/cq2011/criteria/2.2-1/"


def test_the_engine_drops_it_from_count_and_maximum_but_keeps_thresholds() -> None:
    specs = [
        CriterionSpec(code="a", chapter=1, item="1", max_points=D("965")),
        CriterionSpec(code="b", chapter=1, item="1", max_points=D("35"), not_applicable_levels=("2A", "2B")),
    ]
    ratings = {"a": RatingInput(engine.MET, D("700")), "b": RatingInput(engine.MET, D("35"))}
    thresholds = {"2A": D("700"), "3A": D("850")}
    two = engine.evaluate(criteria=specs, ratings=ratings, key_specialty=False, level="2A", thresholds=thresholds)
    assert (two.applicable, two.max_total, two.total, two.threshold) == (1, D("965"), D("700"), D("700"))
    assert two.outcome == engine.PASS
    three = engine.evaluate(criteria=specs, ratings=ratings, key_specialty=False, level="3A", thresholds=thresholds)
    assert (three.applicable, three.max_total, three.total) == (2, D("1000"), D("735"))


def test_it_is_off_by_default(db: None) -> None:
    assert not Criterion.objects.exclude(not_applicable_levels=[]).exists()


def test_a_qc_admin_switches_it_with_a_reason_and_the_level_2_result_follows(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)  # B is 二级甲等
    rate_all(assessment)
    before = cast.client("head_b").get(f"/api/v1/assessments/{assessment.pk}/result/").json()
    assert (before["max_total"], before["applicable"]) == ("1000", 92)

    refused = cast.client("qc_admin").patch(URL, {"not_applicable_levels": ["2A", "2B"]}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()
    response = cast.client("qc_admin").patch(
        URL, {"not_applicable_levels": ["2B", "2A"], "reason": "原文仅对三级医院作要求"}, format="json"
    )
    assert response.status_code == 200 and response.json()["not_applicable_levels"] == ["2A", "2B"]
    event = AuditEvent.objects.get(action="criterion.not_applicable")
    assert (event.before, event.after, event.reason) == (
        {"not_applicable_levels": []},
        {"not_applicable_levels": ["2A", "2B"]},
        "原文仅对三级医院作要求",
    )

    after = cast.client("head_b").get(f"/api/v1/assessments/{assessment.pk}/result/").json()
    assert (after["max_total"], after["total"], after["applicable"], after["threshold"]) == ("965", "965", 91, "700")
    (row,) = [r for r in assessments_with_progress(type(assessment).objects.filter(pk=assessment.pk))]
    assert row["applicable"] == 91
    # A level-3 hospital keeps it.
    three = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.SELF)
    rate_all(three)
    assert cast.client("head_a").get(f"/api/v1/assessments/{three.pk}/result/").json()["max_total"] == "1000"


def test_a_not_applicable_criterion_cannot_be_rated_and_leaves_the_workspace(cast: Cast) -> None:
    criterion = Criterion.objects.get(standard__code="cq2011", code="2.2-1")
    criterion.not_applicable_levels = ["2A", "2B"]
    criterion.save()
    assessment = AssessmentFactory(hospital=cast.hospital_b, kind=AssessmentKind.SELF)
    response = cast.client("head_b").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/2.2-1/", {"rating": "met"}, format="json"
    )
    assert response.status_code == 400 and "criterion" in response.json()
    assert not Rating.objects.filter(assessment=assessment).exists()
    client = Client()
    client.force_login(cast.head_b)
    page = client.get(f"/assessments/{assessment.pk}/chapters/2/").content.decode()
    assert 'id="c-2.2-1"' not in page and 'id="c-2.1-1"' in page


@pytest.mark.parametrize("levels", [["4A"], ["2A", "2A"], "2A"])
def test_bad_levels_are_refused_naming_the_field(cast: Cast, levels: object) -> None:
    response = cast.client("qc_admin").patch(URL, {"not_applicable_levels": levels, "reason": "x"}, format="json")
    assert response.status_code == 400 and "not_applicable_levels" in response.json()
    assert Criterion.objects.get(standard__code="cq2011", code="2.2-1").not_applicable_levels == []


def test_only_a_qc_admin_may_switch_it(cast: Cast) -> None:
    for who in ("inspector", "head_a"):
        response = cast.client(who).patch(URL, {"not_applicable_levels": ["2A"], "reason": "x"}, format="json")
        assert response.status_code in (403, 404)


def test_the_standard_importer_refuses_a_bad_value_naming_it() -> None:
    import json
    from pathlib import Path

    from scoring.standards import validate_standard

    data = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "cq2011.json").read_text(encoding="utf-8"))
    data["chapters"][1]["items"][1]["criteria"][0]["not_applicable_levels"] = ["2C"]
    errors = validate_standard(data)
    assert any(".not_applicable_levels: " in e and "2C" in e for e in errors), errors
