"""The profile's rules where criteria are rated: the self-assessment and inspection pages, the rating service."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from scoring.models import AssessmentKind, Rating
from tests.conftest import Cast
from tests.departments.factories import DepartmentProfileFactory
from tests.scoring.factories import AssessmentFactory

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_department_sees_its_shortfall_on_the_self_assessment_page(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, year=2026)
    DepartmentProfileFactory(hospital=cast.hospital_a, year=2026, aicu_beds=10, aicu_nurses=24)
    page = logged_in(cast.head_a).get(f"/assessments/{assessment.pk}/chapters/2/").content.decode()
    assert "科室概况测算" in page
    assert "AICU 护士：需 30 名，现 24 名，缺 6 名" in page
    assert f"/hospitals/{cast.hospital_a.pk}/profile/2026/" in page


def test_another_years_profile_is_not_used(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, year=2025)
    DepartmentProfileFactory(hospital=cast.hospital_a, year=2026, aicu_beds=10, aicu_nurses=24)
    page = logged_in(cast.head_a).get(f"/assessments/{assessment.pk}/chapters/2/").content.decode()
    assert "缺 6 名" not in page and "未填写：AICU 护士" in page


def test_the_inspector_sees_the_same_suggestion_and_overrides_only_with_a_remark(cast: Cast) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_a, year=2026, aicu_beds=10, aicu_nurses=24)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    client = logged_in(cast.inspector)
    page = client.get(f"/assessments/{inspection.pk}/chapters/2/").content.decode()
    assert "AICU 护士：需 30 名，现 24 名，缺 6 名" in page
    url = f"/assessments/{inspection.pk}/criteria/2.1-3-1/"
    response = client.post(url, {"rating": "met", "version": "0"}, headers={"HX-Request": "true"})
    assert "评定与系统测算建议不同，请在备注中说明理由" in response.content.decode()
    assert not Rating.objects.filter(assessment=inspection).exists()
    # Without JavaScript the reason comes back as a message on the chapter page.
    page = client.post(url, {"rating": "met", "version": "0"}, follow=True).content.decode()
    assert "2.1-3-1 未保存：评定与系统测算建议不同，请在备注中说明理由" in page
    assert client.post(url, {"rating": "met", "version": "0", "remark": "新增护士已到岗，有排班表"}).status_code in (
        200,
        302,
    )
    event = AuditEvent.objects.filter(action="rating.set").latest("id")
    assert event.after["rating"] == "met" and event.after["profile_suggested"] == "unmet"
    history = client.get(f"/assessments/{inspection.pk}/history/?criterion=2.1-3-1").content.decode()
    assert "概况测算建议" in history


def test_accepting_the_suggestion_needs_no_remark(cast: Cast) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_a, year=2026, aicu_beds=10, aicu_nurses=24)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    client = logged_in(cast.inspector)
    response = client.post(f"/assessments/{inspection.pk}/criteria/2.1-3-1/", {"rating": "unmet", "version": "0"})
    assert response.status_code in (200, 302)
    assert Rating.objects.get(assessment=inspection).rating == "unmet"


def test_the_api_rating_of_an_inspection_follows_the_same_rule(cast: Cast) -> None:
    DepartmentProfileFactory(hospital=cast.hospital_a, year=2026, monitors=5, or_tables=10)
    inspection = AssessmentFactory(hospital=cast.hospital_a, year=2026, kind=AssessmentKind.INSPECTION)
    client = cast.client("inspector")
    url = f"/api/v1/assessments/{inspection.pk}/ratings/3.1-2-1/"
    response = client.put(url, {"rating": "met"}, format="json")
    assert response.status_code == 400 and "remark" in response.json()
    assert client.put(url, {"rating": "met", "remark": "借用设备已到位"}, format="json").status_code == 200
