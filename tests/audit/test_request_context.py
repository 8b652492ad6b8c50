"""Every request gets an id, returned as X-Request-ID; every event carries its request's id and the client's IP."""

import re

import pytest
from django.test import Client

from audit import context
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import Cast
from tests.factories import AssessmentFactory

pytestmark = pytest.mark.django_db

HEX32 = re.compile(r"[0-9a-f]{32}")


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def test_every_response_carries_a_fresh_request_id() -> None:
    first, second = Client().get("/healthz"), Client().get("/healthz")

    assert HEX32.fullmatch(first["X-Request-ID"]) and HEX32.fullmatch(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_redirects_and_errors_carry_one_too() -> None:
    assert HEX32.fullmatch(Client().get("/assessments/")["X-Request-ID"])  # 302 to the login page
    assert HEX32.fullmatch(Client().get("/no-such-page/")["X-Request-ID"])  # 404


@pytest.mark.parametrize("incoming", ["0af7651916cd43dd8448eb211c80319c", "req-2026.11.22:42", "a"])
def test_a_safe_incoming_request_id_is_kept(incoming: str) -> None:
    assert Client().get("/healthz", headers={"X-Request-ID": incoming})["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming", ["", "has space", "<script>alert(1)</script>", "x" * 65, "-starts-with-dash", "naïve", "a\\b"]
)
def test_an_unsafe_incoming_request_id_is_replaced(incoming: str) -> None:
    assert HEX32.fullmatch(Client().get("/healthz", headers={"X-Request-ID": incoming})["X-Request-ID"])


def test_an_event_written_by_any_service_carries_the_request_id_and_ip(cast: Cast) -> None:
    assessment = AssessmentFactory(hospital=cast.hospital_a)

    response = cast.client("head_a").put(
        f"/api/v1/assessments/{assessment.pk}/ratings/1.1-1-1/", {"rating": "met"}, REMOTE_ADDR="10.1.2.3"
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(action="rating.set")
    assert (event.request_id, event.ip) == (response["X-Request-ID"], "10.1.2.3")
    assert (event.actor_id, event.actor_username, event.hospital_id) == (cast.head_a.pk, "head_a", cast.hospital_a.pk)
    assert event.created_at.utcoffset().total_seconds() == 0  # stored and read back in UTC


def test_x_forwarded_for_is_ignored_unless_the_deployment_trusts_a_proxy(cast: Cast, settings) -> None:
    url = f"/api/v1/assessments/{AssessmentFactory(hospital=cast.hospital_a).pk}/ratings/1.1-1-1/"
    forged = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.0.2.7"}

    cast.client("head_a").put(url, {"rating": "met"}, **forged)
    settings.TRUSTED_PROXY_COUNT = 1
    cast.client("head_a").put(url, {"rating": "unmet"}, **forged)

    assert list(AuditEvent.objects.filter(action="rating.set").order_by("id").values_list("ip", flat=True)) == [
        "10.0.0.1",
        "192.0.2.7",  # the entry the one trusted proxy wrote, not the client's own claim
    ]


def test_events_outside_a_request_have_no_request_id_or_ip(cast: Cast) -> None:
    event = audit_record(actor=None, action="rating.set", obj=cast.hospital_a)

    assert (event.request_id, event.ip, event.actor_username) == ("", None, "")


def test_the_context_is_restored_after_the_block() -> None:
    with context.bound(context.AuditContext(request_id="outer", ip="192.0.2.1")):
        with context.bound(context.AuditContext(request_id="inner")):
            assert context.current().request_id == "inner"
        assert context.current() == context.AuditContext(request_id="outer", ip="192.0.2.1")
    assert context.current() == context.AuditContext()


# --- refused requests ------------------------------------------------------------------------------


def test_a_403_from_a_page_is_recorded_with_who_what_and_where(cast: Cast) -> None:
    response = browser(cast, "head_a").get("/rounds/new/", REMOTE_ADDR="10.9.8.7")

    assert response.status_code == 403
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_id, event.ip, event.request_id) == (cast.head_a.pk, "10.9.8.7", response["X-Request-ID"])
    assert event.after == {"method": "GET", "path": "/rounds/new/", "view": "round-create", "status": 403}
    assert (event.object_type, event.object_id) == ("url", "round-create")


def test_a_403_from_the_api_is_recorded(cast: Cast) -> None:
    response = cast.client("head_a").patch(
        "/api/v1/standards/cq2011/criteria/1.1-1-1/", {"veto": True, "reason": "试图修改"}
    )

    assert response.status_code == 403
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor_id == cast.head_a.pk
    assert event.after["view"] == "v1:standard-criterion" and event.after["method"] == "PATCH"


def test_a_csrf_failure_is_recorded_as_a_refusal() -> None:
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=None).count() == 1


def test_a_404_on_another_hospitals_object_is_recorded(cast: Cast) -> None:
    foreign = AssessmentFactory(hospital=cast.hospital_a)

    response = browser(cast, "head_b").get(f"/assessments/{foreign.pk}/")

    assert response.status_code == 404
    event = AuditEvent.objects.get(action="access.not_found")
    assert event.actor_id == cast.head_b.pk and event.after["path"] == f"/assessments/{foreign.pk}/"


def test_a_404_for_a_visitor_or_on_a_plain_missing_page_is_not_recorded(cast: Cast) -> None:
    browser(cast, "head_b").get("/no-such-page/")
    Client().get("/api/v1/assessments/999999/")

    assert not AuditEvent.objects.filter(action__startswith="access.").exists()


def test_refusals_are_not_changes(cast: Cast) -> None:
    browser(cast, "head_a").get("/rounds/new/")

    assert AuditEvent.objects.filter(action="access.denied").exists()
    assert not AuditEvent.objects.changes().exists()
