"""Inspection rounds: creation, hospitals and inspector teams, the progress board, for every role."""

import datetime
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import InspectorAssignment
from audit.models import AuditEvent
from rounds.models import InspectionRound, RoundHospital
from rounds.services import round_add_hospital, round_assign_inspector, round_create
from scoring.models import Criterion, Rating, Standard
from scoring.services import assessment_submit
from tests.conftest import CAST, Cast
from tests.factories import HospitalFactory, UserFactory, rate_all
from workspace.services import assessment_finalize

pytestmark = pytest.mark.django_db
LOGIN = 302
D = datetime.date


def make_round(cast: Cast, name: str = "2026 年度麻醉质控检查") -> InspectionRound:
    return round_create(
        actor=cast.qc_admin,
        name=name,
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=D(2026, 5, 31),
        inspection_start=D(2026, 6, 1),
        inspection_end=D(2026, 6, 30),
    )


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def test_adding_a_hospital_opens_its_self_assessment_and_inspection(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    assert entry.self_assessment.kind == "self" and entry.inspection.kind == "inspection"
    assert entry.self_assessment.year == 2026 and entry.inspection.status == "draft"
    with pytest.raises(ValidationError) as exc:
        round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    assert "hospital" in exc.value.message_dict


def test_assigning_an_inspector_lets_them_see_the_hospital(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    newcomer = cast.inspector_unassigned
    assert browser(cast, "inspector_unassigned").get(f"/assessments/{entry.inspection.pk}/").status_code == 404
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=newcomer, is_lead=True, chapters=[1, 2])
    assert InspectorAssignment.objects.filter(inspector=newcomer, hospital=cast.hospital_b).exists()
    assert browser(cast, "inspector_unassigned").get(f"/assessments/{entry.inspection.pk}/").status_code == 200
    assert AuditEvent.objects.filter(action="round.assign_inspector").count() == 1


def test_one_lead_per_team(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, is_lead=True)
    other = UserFactory(role="inspector", hospital=None)
    round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=other, is_lead=True)
    assert list(entry.team.filter(is_lead=True).values_list("inspector", flat=True)) == [other.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"inspection_start": D(2026, 7, 1), "inspection_end": D(2026, 6, 1)}, "inspection_end"),
        ({"self_assessment_deadline": D(2026, 7, 1)}, "self_assessment_deadline"),
    ],
)
def test_dates_out_of_order_are_refused_naming_the_field(cast: Cast, kwargs: dict, field: str) -> None:
    base = {
        "name": "x",
        "year": 2026,
        "standard": Standard.objects.get(code="cq2011"),
        "self_assessment_deadline": D(2026, 5, 31),
        "inspection_start": D(2026, 6, 1),
        "inspection_end": D(2026, 6, 30),
    }
    with pytest.raises(ValidationError) as exc:
        round_create(actor=cast.qc_admin, **(base | kwargs))
    assert field in exc.value.message_dict
    assert not InspectionRound.objects.exists()


@pytest.mark.parametrize("who", ["inspector", "head_a", "staff_a"])
def test_only_the_qc_centre_runs_rounds(cast: Cast, who: str) -> None:
    with pytest.raises(PermissionDenied):
        make_round(type("C", (), {"qc_admin": cast.users[who]})())  # type: ignore[arg-type]


# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    "list": (200, 200, 200, 200, 200, 200, LOGIN),
    "create": (200, 403, 403, 403, 403, 403, LOGIN),
    "create-post": (302, 403, 403, 403, 403, 403, LOGIN),
    # The round holds hospital A only: B's people and the unassigned inspector do not see it.
    "detail": (200, 200, 404, 200, 200, 404, LOGIN),
    "add-hospital": (302, 403, 404, 403, 403, 404, LOGIN),
    "assign": (302, 403, 404, 403, 403, 404, LOGIN),
}


@pytest.mark.parametrize(("page", "who"), [(p, w) for p in EXPECTED for w in CAST])
def test_round_page_permissions(cast: Cast, page: str, who: str) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    client = browser(cast, who)
    if page == "list":
        response = client.get("/rounds/")
    elif page == "create":
        response = client.get("/rounds/new/")
    elif page == "create-post":
        response = client.post(
            "/rounds/new/",
            {
                "name": "第二轮",
                "year": "2026",
                "standard": "cq2011",
                "self_assessment_deadline": "2026-08-31",
                "inspection_start": "2026-09-01",
                "inspection_end": "2026-09-30",
            },
        )
    elif page == "detail":
        response = client.get(f"/rounds/{rnd.pk}/")
    elif page == "add-hospital":
        response = client.post(f"/rounds/{rnd.pk}/hospitals/", {"hospital": cast.hospital_b.pk})
    else:
        response = client.post(
            f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/", {"inspector": cast.inspector_unassigned.pk}
        )
    expected = EXPECTED[page][CAST.index(who)]
    assert response.status_code == expected, (page, who)


ROUND_FORM = {
    "name": "第二轮",
    "year": "2026",
    "standard": "cq2011",
    "self_assessment_deadline": "2026-08-31",
    "inspection_start": "2026-09-01",
    "inspection_end": "2026-09-30",
}
DATE_MESSAGE = "请填写日期，格式如 2026-05-31。"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "   ", "请填写轮次名称。"),
        ("name", "轮" * 201, "轮次名称最多 200 个字符（现有 201 个）。"),
        ("year", "²", "请填写年度，例如 2026。"),  # a digit to str.isdigit(), no number to int()
        ("year", "99999999999", "年度应在 2000–2100 之间。"),
        ("year", "1999", "年度应在 2000–2100 之间。"),
        ("standard", "nope", "请选择评价标准。"),
        ("self_assessment_deadline", "2026-02-30", DATE_MESSAGE),
        ("inspection_start", "", DATE_MESSAGE),
        ("inspection_end", "²", DATE_MESSAGE),
        ("inspection_end", "2026-08-01", "现场检查结束日期不能早于开始日期。"),  # the service's rule, same place
    ],
)
def test_a_bad_round_field_answers_400_at_that_field(cast: Cast, field: str, value: str, message: str) -> None:
    response = browser(cast, "qc_admin").post("/rounds/new/", ROUND_FORM | {field: value})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'<p class="field-error" role="alert">{message}</p>' in body
    assert body.index(f'id="{field}"') < body.index(message)  # shown under its field
    assert not InspectionRound.objects.exists()


@pytest.mark.parametrize("value", ["", "²", "99999999999999999999", "abc"])
def test_adding_no_real_hospital_says_so_and_adds_nothing(cast: Cast, value: str) -> None:
    rnd = make_round(cast)
    response = browser(cast, "qc_admin").post(f"/rounds/{rnd.pk}/hospitals/", {"hospital": value}, follow=True)
    assert response.redirect_chain[0][0] == f"/rounds/{rnd.pk}/"
    assert "请选择要添加的医院。" in response.content.decode()
    assert not RoundHospital.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"inspector": "²"}, "请选择质控专家。"),
        ({"inspector": "99999999999999999999"}, "请选择质控专家。"),
        ({"inspector": "{head_a}"}, "请选择质控专家。"),  # not an inspector
        ({"inspector": "{inspector}", "chapters": ["1", "²"]}, "章节“²”不在本轮次的评价标准中。"),
        ({"inspector": "{inspector}", "chapters": ["99"]}, "章节“99”不在本轮次的评价标准中。"),
        ({"inspector": "{inspector}", "chapters": ["99999999999999999999"]}, "不在本轮次的评价标准中"),
    ],
)
def test_a_bad_team_member_says_why_and_changes_nothing(cast: Cast, data: dict, message: str) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    people = {"head_a": cast.head_a.pk, "inspector": cast.inspector.pk}
    data = {key: value.format(**people) if isinstance(value, str) else value for key, value in data.items()}
    response = browser(cast, "qc_admin").post(f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/", data, follow=True)
    assert response.redirect_chain[0][0] == f"/rounds/{rnd.pk}/"
    assert message in response.content.decode()
    assert not entry.team.exists()


def test_a_team_member_for_some_chapters_through_the_form(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    data = {"inspector": cast.inspector.pk, "is_lead": "on", "chapters": ["2", "1"]}
    response = browser(cast, "qc_admin").post(f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/", data)
    assert response.status_code == 302
    member = entry.team.get()
    assert (member.inspector, member.is_lead, member.chapters) == (cast.inspector, True, [1, 2])


def test_the_board_fetches_a_rows_assignment_form_when_it_is_opened(cast: Cast) -> None:
    # Every inspector as an option in every row's form made the board of 800 hospitals weigh megabytes, and a
    # board refreshed by a filter (htmx) had forms without inspectors or chapters: the form is fetched on opening.
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    for n in range(5):
        UserFactory(username=f"expert-{n}", role="inspector", hospital=None)
    client = browser(cast, "qc_admin")
    form_url = f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/"
    for board in (
        client.get(f"/rounds/{rnd.pk}/").content.decode(),
        client.get(f"/rounds/{rnd.pk}/?level=3A", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board").content.decode(),
    ):
        assert 'name="inspector"' not in board and "expert-0" not in board
        assert f'hx-get="{form_url}"' in board and f'href="{form_url}"' in board  # and a link without JavaScript
    fragment = client.get(form_url, HTTP_HX_REQUEST="true").content.decode()
    inspectors = type(cast.inspector).objects.filter(role="inspector", is_active=True).count()
    assert "<html" not in fragment and fragment.count("<option") == inspectors >= 6  # the cast's and five more
    assert fragment.count('name="chapters"') == 5 and 'action="' + form_url + '"' in fragment
    page = client.get(form_url)
    assert (
        page.status_code == 200 and "<html" in page.content.decode() and cast.hospital_a.name in page.content.decode()
    )
    assert client.post(form_url, {"inspector": cast.inspector.pk, "is_lead": "on"}).status_code == 302
    assert entry.team.get().inspector == cast.inspector


def test_the_assignment_form_queries_do_not_grow_with_inspectors(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    client = browser(cast, "qc_admin")
    url = f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/"
    client.get(url, HTTP_HX_REQUEST="true")
    counts = []
    for n in range(3):
        UserFactory(username=f"more-{n}", role="inspector", hospital=None)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1 and counts[0] <= 8, counts


def test_the_assignment_form_without_inspectors_says_what_to_do(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    type(cast.inspector).objects.filter(role="inspector").update(is_active=False)
    body = browser(cast, "qc_admin").get(f"/rounds/{rnd.pk}/hospitals/{entry.pk}/inspectors/").content.decode()
    assert "还没有质控专家账号" in body and "<select" not in body.split("<main", 1)[-1].split("</main>")[0]


def test_departments_see_only_their_own_row_on_the_board(cast: Cast) -> None:
    rnd = make_round(cast)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    page = browser(cast, "head_b").get(f"/rounds/{rnd.pk}/").content.decode()
    assert cast.hospital_b.name in page and cast.hospital_a.name not in page
    admin = browser(cast, "qc_admin").get(f"/rounds/{rnd.pk}/").content.decode()
    assert cast.hospital_b.name in admin and cast.hospital_a.name in admin


def test_the_board_filters_by_level_and_district(cast: Cast) -> None:
    rnd = make_round(cast)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    client = browser(cast, "qc_admin")
    by_level = client.get(f"/rounds/{rnd.pk}/?level=2A", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board")
    body = by_level.content.decode()
    assert "<html" not in body and cast.hospital_b.name in body and cast.hospital_a.name not in body
    by_district = client.get(f"/rounds/{rnd.pk}/?district=渝中区").content.decode()
    assert cast.hospital_a.name in by_district


def test_the_board_shows_progress_and_the_finalized_outcome(cast: Cast) -> None:
    rnd = make_round(cast)
    entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    criteria = Criterion.objects.filter(standard__code="cq2011", applies_to="all")
    Rating.objects.bulk_create(
        Rating(assessment=entry.inspection, criterion=c, rating="met", score=c.max_points) for c in criteria
    )
    assessment_submit(actor=cast.qc_admin, assessment=entry.inspection)
    assessment_finalize(actor=cast.qc_admin, assessment=entry.inspection)
    page = browser(cast, "qc_admin").get(f"/rounds/{rnd.pk}/").content.decode()
    assert "92 / 92" in page
    assert "badge-pass" in page and "1000" in page


def test_board_queries_do_not_grow_with_hospitals(cast: Cast) -> None:
    rnd = make_round(cast)
    client = browser(cast, "qc_admin")
    client.get(f"/rounds/{rnd.pk}/")
    counts = []
    for n in range(3):
        hospital = HospitalFactory()
        entry = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=hospital)
        round_assign_inspector(actor=cast.qc_admin, entry=entry, inspector=cast.inspector, chapters=[n + 1])
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/rounds/{rnd.pk}/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert len(set(counts)) == 1, counts
    assert RoundHospital.objects.count() == 3


def dated_round(cast: Cast, *, deadline_in: int, end_in: int) -> InspectionRound:
    """A round whose self-assessment deadline and inspection end are that many days from today."""
    today = timezone.localdate()
    deadline, end = today + datetime.timedelta(days=deadline_in), today + datetime.timedelta(days=end_in)
    return round_create(
        actor=cast.qc_admin,
        name="逾期测试轮次",
        year=2026,
        standard=Standard.objects.get(code="cq2011"),
        self_assessment_deadline=deadline,
        inspection_start=min(deadline + datetime.timedelta(days=1), end),
        inspection_end=end,
    )


def overdue_marks(body: str) -> list[str]:
    return re.findall(r'data-overdue="(\w+)"', body)


def test_the_board_marks_what_is_overdue(cast: Cast) -> None:
    # Issue 13: past the deadline an unsubmitted self-assessment is overdue; past the inspection's end, an
    # inspection not yet finalized.
    rnd = dated_round(cast, deadline_in=-10, end_in=-1)
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    punctual = round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_b)
    rate_all(punctual.self_assessment)
    assessment_submit(actor=cast.head_b, assessment=punctual.self_assessment)
    rate_all(punctual.inspection)
    assessment_submit(actor=cast.qc_admin, assessment=punctual.inspection)
    assessment_finalize(actor=cast.qc_admin, assessment=punctual.inspection)
    body = browser(cast, "qc_admin").get(f"/rounds/{rnd.pk}/").content.decode()
    assert overdue_marks(body) == ["self", "inspection"]
    row_a = body.split(cast.hospital_a.name, 1)[1].split("</tr>", 1)[0]
    assert "逾期" in row_a and "逾期" not in body.split(cast.hospital_b.name, 1)[1].split("</tr>", 1)[0]
    # The department sees its own row's marks too.
    assert overdue_marks(browser(cast, "head_a").get(f"/rounds/{rnd.pk}/").content.decode()) == ["self", "inspection"]


def test_nothing_is_overdue_before_the_dates(cast: Cast) -> None:
    rnd = dated_round(cast, deadline_in=0, end_in=5)  # the deadline is today: not yet overdue
    round_add_hospital(actor=cast.qc_admin, rnd=rnd, hospital=cast.hospital_a)
    assert overdue_marks(browser(cast, "qc_admin").get(f"/rounds/{rnd.pk}/").content.decode()) == []
