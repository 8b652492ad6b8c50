"""HTML pages and the admin, through real URLs, for every member of the cast."""

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from scoring.models import AssessmentKind, Criterion
from scoring.services import assessment_submit
from tests.conftest import CAST, Cast
from tests.factories import AssessmentFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db

ADMIN_MODELS = [
    "accounts/hospital",
    "accounts/user",
    "accounts/inspectorassignment",
    "audit/auditevent",
    "scoring/standard",
    "scoring/chapter",
    "scoring/item",
    "scoring/criterion",
    "scoring/assessment",
    "scoring/rating",
    "scoring/criterionreturn",
    "rounds/inspectionround",
    "rounds/roundinspector",
    "evidence/evidence",
    "indicators/indicatorset",
    "indicators/indicator",
    "indicators/periodvalue",
]


def browser(cast: Cast, name: str) -> Client:
    client = Client()
    if cast.users[name] is not None:
        client.force_login(cast.users[name])
    return client


@pytest.mark.parametrize("who", CAST)
def test_home_page_shows_the_loaded_standard_to_everyone(cast: Cast, who: str, django_assert_max_num_queries) -> None:
    client = browser(cast, who)
    # Session and user, standards and thresholds, assessments with progress, applicable counts, hospitals;
    # the next steps' rectification counts and finished reports (tests/workspace/test_next_steps.py shows
    # the count does not grow with the number of assessments, files or items).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "重庆市医疗机构麻醉医疗质量控制标准（试行）" in response.content.decode()


@pytest.mark.parametrize("who", CAST)
def test_healthz_answers_ok_with_the_database_checked(cast: Cast, who: str) -> None:
    response = browser(cast, who).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("model", ["", *ADMIN_MODELS])
def test_admin_is_for_the_qc_centre_only(cast: Cast, who: str, model: str, django_assert_max_num_queries) -> None:
    url = f"/admin/{model}/" if model else "/admin/"
    client = browser(cast, who)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    if who == "qc_admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url.startswith("/admin/login/")


def test_superusers_act_as_qc_admin_in_the_admin(db: None, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x-long-password-1")
    client = Client()
    client.force_login(root)
    assert client.get("/admin/scoring/criterion/").status_code == 200


def test_changing_a_veto_flag_in_the_admin_is_audited(cast: Cast) -> None:
    criterion = Criterion.objects.get(standard__code="cq2011", code="4.1-2-1")
    assert criterion.veto is False
    client = browser(cast, "qc_admin")
    response = client.post(f"/admin/scoring/criterion/{criterion.pk}/change/", {"veto": "on"})
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.veto is True
    event = AuditEvent.objects.get(action="criterion.veto", object_id=str(criterion.pk))
    assert event.actor == cast.qc_admin
    assert (event.before, event.after) == ({"veto": False}, {"veto": True})


def test_a_finalized_assessment_is_read_only_in_the_admin(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a, kind=AssessmentKind.INSPECTION)
    rate_all(assessment)
    assessment_submit(actor=cast.inspector, assessment=assessment)
    assessment_finalize(actor=cast.inspector, assessment=assessment)
    client = browser(cast, "qc_admin")
    url = f"/admin/scoring/assessment/{assessment.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = client.post(url, {"year": 2020, "kind": "self"})
    assert response.status_code == 403
    delete = client.post(f"/admin/scoring/assessment/{assessment.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assessment.refresh_from_db()
    assert assessment.year == 2026


def test_a_draft_assessment_is_editable_in_the_admin(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)
    page = browser(cast, "qc_admin").get(f"/admin/scoring/assessment/{assessment.pk}/change/")
    assert 'name="_save"' in page.content.decode()
