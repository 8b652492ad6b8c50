"""People are shown by their display name (full name, else username) wherever the pages name them (issue 13).

One helper decides: `accounts.names.display_name`, and the template filter `display_name` over it.
"""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.names import display_name
from evidence.services import evidence_review
from indicators.models import CaseImport
from rectification.selectors import plan_for
from rectification.services import rectification_assign
from reports.services import report_request
from rounds.services import round_add_hospital, round_create
from scoring.models import AssessmentKind, Standard
from scoring.services import assessment_submit
from tests.conftest import Cast
from tests.evidence.conftest import attach, png
from tests.factories import AssessmentFactory, UserFactory, rate_all
from tests.reports.conftest import finalized_inspection

pytestmark = pytest.mark.django_db

NAMES = {"head_a": "王主任", "staff_a": "张医生", "inspector": "李专家", "qc_admin": "赵管理员"}


@pytest.fixture
def named(cast: Cast) -> Cast:
    for username, full_name in NAMES.items():
        user = cast.users[username]
        user.first_name = full_name
        user.save(update_fields=["first_name"])
    return cast


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    client.force_login(cast.users[who])
    return client


def test_the_helper_prefers_the_full_name(named: Cast) -> None:
    assert display_name(named.head_a) == "王主任"
    assert display_name(UserFactory(username="nameless")) == "nameless"
    assert display_name(None) == ""


def test_evidence_shows_who_uploaded_and_who_reviewed(named: Cast, settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    assessment = AssessmentFactory(hospital=named.hospital_a, kind=AssessmentKind.SELF)
    [evidence] = attach(named.head_a, assessment, png())
    rate_all(assessment)
    assessment_submit(actor=named.head_a, assessment=assessment)
    evidence_review(actor=named.inspector, evidence=evidence, decision="accepted", reason="清晰")
    body = browser(named, "inspector").get(f"/assessments/{assessment.pk}/chapters/1/").content.decode()
    block = body.split(f'id="evidence-item-{evidence.pk}"', 1)[1].split("</li>", 1)[0]
    assert "王主任" in block and "李专家" in block
    assert "head_a" not in block and ">inspector<" not in block


def test_history_names_the_actor_and_the_owner_given(named: Cast) -> None:
    inspection = finalized_inspection(named, named.hospital_a)
    [item, *_rest] = plan_for(inspection)
    rectification_assign(actor=named.inspector, item=item, owner=named.staff_a, due_date=datetime.date(2027, 1, 31))
    body = browser(named, "qc_admin").get(f"/assessments/{inspection.pk}/history/").content.decode()
    assert "张医生" in body and "staff_a" not in body
    assert "李专家" in body
    csv = browser(named, "qc_admin").get(f"/assessments/{inspection.pk}/history.csv").content.decode()
    assert "张医生" in csv and "staff_a" not in csv


def test_rectification_pages_name_the_owner(named: Cast) -> None:
    inspection = finalized_inspection(named, named.hospital_a)
    [item, *_rest] = plan_for(inspection)
    rectification_assign(actor=named.inspector, item=item, owner=named.staff_a, due_date=datetime.date(2027, 1, 31))
    listing = browser(named, "head_a").get("/rectification/").content.decode()
    assert "张医生" in listing and "staff_a" not in listing
    detail = browser(named, "inspector").get(f"/rectification/{item.pk}/").content.decode()
    assert "张医生" in detail


def test_reports_name_who_asked(named: Cast) -> None:
    inspection = finalized_inspection(named, named.hospital_a)
    job = report_request(actor=named.inspector, kind="assessment", assessment=inspection)
    assert "李专家" in browser(named, "qc_admin").get(f"/reports/{job.pk}/").content.decode()
    assert "李专家" in browser(named, "qc_admin").get("/reports/").content.decode()


def test_the_round_board_names_the_team_and_the_choice_of_inspectors(named: Cast) -> None:
    rnd = round_create(
        actor=named.qc_admin,
        name="显示名轮次",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=datetime.date(2026, 5, 31),
        inspection_start=datetime.date(2026, 6, 1),
        inspection_end=datetime.date(2026, 6, 30),
    )
    entry = round_add_hospital(actor=named.qc_admin, rnd=rnd, hospital=named.hospital_a)
    client = browser(named, "qc_admin")
    response = client.post(
        f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/", {"inspector": named.inspector.pk, "is_lead": "on"}
    )
    assert response.status_code == 302
    body = client.get(f"/rounds/{rnd.pk}/").content.decode()
    assert "已指派 李专家 检查" in body  # the message after assigning
    assert "组长 李专家" in body
    # The choice of inspectors is in the row's assignment form, fetched when it is opened.
    form = client.get(f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/", HTTP_HX_REQUEST="true").content.decode()
    assert f'<option value="{named.inspector.pk}">李专家</option>' in form


def test_a_case_import_names_who_uploaded_it(named: Cast) -> None:
    job = CaseImport.objects.create(
        hospital=named.hospital_a, uploaded_by=named.head_a, file_name="cases.csv", sha256="0" * 64, status="imported"
    )
    detail = browser(named, "head_a").get(f"/case-imports/{job.pk}/").content.decode()
    assert "王主任" in detail.split("上传人", 1)[1][:200]
    listing = browser(named, "head_a").get(f"/hospitals/{named.hospital_a.pk}/cases/").content.decode()
    assert "王主任" in listing
