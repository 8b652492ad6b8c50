"""The QC centre's audit log: page, CSV export and API; qc_admin only; one filter for all three."""

import csv
import datetime
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from tests.audit.factories import AuditEventFactory
from tests.conftest import CAST, Cast

pytestmark = pytest.mark.django_db

PAGE, CSV, API = "/audit/", "/audit/events.csv", "/api/v1/audit/events/"
LOGIN = 302

# Columns: qc_admin, inspector (of A), inspector_unassigned, head_a, staff_a, head_b, anonymous
EXPECTED = {
    PAGE: (200, 403, 403, 403, 403, 403, LOGIN),
    CSV: (200, 403, 403, 403, 403, 403, LOGIN),
    API: (200, 403, 403, 403, 403, 403, 401),
}


def browser(cast: Cast, who: str) -> Client:
    client = Client()
    if cast.users[who] is not None:
        client.force_login(cast.users[who])
    return client


def get(cast: Cast, who: str, url: str, **params: str):
    if url == API:
        return cast.client(who).get(url, params)
    return browser(cast, who).get(url, params)


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def events(cast: Cast, n: int) -> None:
    for i in range(n):
        audit_record(actor=cast.head_a, action="rating.set", obj=cast.hospital_a, after={"remark": f"第{i}次"})


@pytest.mark.parametrize(("url", "who"), [(u, w) for u in EXPECTED for w in CAST])
def test_only_the_qc_admin_reads_the_log(cast: Cast, url: str, who: str) -> None:
    audit_record(actor=cast.head_a, action="rating.set", obj=cast.hospital_a)

    response = get(cast, who, url)

    assert response.status_code == EXPECTED[url][CAST.index(who)]
    if response.status_code == LOGIN:
        assert response["Location"].startswith("/accounts/login/")
    if response.status_code == 403:
        # The refusal is itself in the log.
        assert AuditEvent.objects.filter(action="access.denied", actor_id=cast.users[who].pk).exists()


def test_the_page_lists_events_newest_first_with_origin(cast: Cast) -> None:
    client = browser(cast, "qc_admin")
    client.get("/healthz")
    response = cast.client("head_a").patch("/api/v1/standards/cq2011/criteria/1.1-1-1/", {"veto": True})
    refused_id = response["X-Request-ID"]

    page = client.get(PAGE).content.decode()

    assert "越权访问被拒绝" in page and refused_id in page and "head_a" in page
    # Newest first: the refusal, then the qc_admin's own sign-in before it.
    assert page.index("<code>access.denied</code>") < page.index("<code>auth.login</code>")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"actor": "HEAD_A"}, {"rating.set"}),
        ({"action": "rating.set"}, {"rating.set"}),
        ({"action": "auth."}, {"auth.login_failed"}),
        ({"hospital": "B"}, {"profile.save"}),
        ({"object_type": "accounts.hospital", "object_id": "B"}, {"profile.save"}),
        ({"ip": "192.0.2.55"}, {"auth.login_failed"}),
        ({"request_id": "req-42"}, {"rating.set"}),
        ({"since": "2026-01-02"}, {"rating.set", "auth.login_failed"}),
        ({"until": "2026-01-01"}, {"profile.save"}),
        ({"since": "2026-01-01", "until": "2026-01-01"}, {"profile.save"}),
    ],
)
def test_the_filters_are_the_same_for_page_csv_and_api(cast: Cast, params: dict[str, str], expected: set[str]) -> None:
    june = datetime.datetime(2026, 6, 1, 8, 0, tzinfo=datetime.UTC)
    AuditEventFactory(
        created_at=june,
        actor=cast.head_a,
        actor_username="head_a",
        action="rating.set",
        object_type="accounts.hospital",
        object_id=str(cast.hospital_a.pk),
        hospital_id=cast.hospital_a.pk,
        request_id="req-42",
    )
    AuditEventFactory(created_at=june, action="auth.login_failed", ip="192.0.2.55", after={"username": "x"})
    AuditEventFactory(
        created_at=datetime.datetime(2026, 1, 1, 23, 59, tzinfo=datetime.UTC),  # the last minute of 1 January, UTC
        actor=cast.head_b,
        actor_username="head_b",
        action="profile.save",
        object_type="accounts.hospital",
        object_id=str(cast.hospital_b.pk),
        hospital_id=cast.hospital_b.pk,
    )
    query = {key: str(cast.hospital_b.pk) if value == "B" else value for key, value in params.items()}

    api = cast.client("qc_admin").get(API, query).json()["results"]
    page = browser(cast, "qc_admin").get(PAGE, query).context["rows"]
    exported = csv_rows(browser(cast, "qc_admin").get(CSV, query))

    ignore = {"auth.login", "audit.export"}  # the reader's own sign-in and exports
    assert {e["action"] for e in api} - ignore == expected
    assert {r["row"].event.action for r in page} - ignore == expected
    assert {r["action"] for r in exported} - ignore == expected


def test_an_invalid_filter_is_refused_not_ignored(cast: Cast) -> None:
    assert cast.client("qc_admin").get(API, {"ip": "not-an-ip"}).status_code == 400
    assert browser(cast, "qc_admin").get(CSV, {"ip": "not-an-ip"}).status_code == 400
    page = browser(cast, "qc_admin").get(PAGE, {"ip": "not-an-ip"})
    assert page.status_code == 400 and "筛选条件无效" in page.content.decode()  # 400 since issue 12 (L1)


def test_the_csv_has_every_field_in_utc_and_is_safe_for_excel(cast: Cast) -> None:
    audit_record(
        actor=cast.head_a,
        action="rating.set",
        obj=cast.hospital_a,
        before={"remark": ""},
        after={"remark": "=HYPERLINK(1)"},
        reason="@因",
    )

    response = browser(cast, "qc_admin").get(CSV, {"action": "rating.set"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    assert response.streaming
    (row,) = csv_rows(response)
    assert row["time_utc"].endswith("+00:00") and row["time_local"].endswith("+08:00")
    assert row["actor"] == "head_a" and row["action_label"] == "评分"
    assert row["object_type"] == "accounts.hospital" and row["hospital_id"] == str(cast.hospital_a.pk)
    assert row["before"] == '{"remark": ""}' and row["after"] == '{"remark": "=HYPERLINK(1)"}'
    assert row["reason"] == "'@因"


def test_exporting_is_itself_recorded_with_the_filters(cast: Cast) -> None:
    response = browser(cast, "qc_admin").get(CSV, {"action": "auth.", "ip": ""})

    event = AuditEvent.objects.get(action="audit.export")
    assert event.actor_id == cast.qc_admin.pk and event.after == {"filters": {"action": "auth."}}
    assert event.request_id == response["X-Request-ID"]


def test_the_page_is_paginated_and_keeps_the_filter_in_its_links(cast: Cast) -> None:
    events(cast, 101)

    client = browser(cast, "qc_admin")
    first = client.get(PAGE, {"action": "rating.set"})
    second = client.get(PAGE, {"action": "rating.set", "page": "2"})

    assert len(first.context["rows"]) == 100 and len(second.context["rows"]) == 1
    assert "?action=rating.set&amp;page=2" in first.content.decode()


def test_htmx_gets_the_rows_fragment(cast: Cast) -> None:
    events(cast, 1)
    body = browser(cast, "qc_admin").get(PAGE, {"action": "rating.set"}, HTTP_HX_REQUEST="true").content.decode()

    assert "<table" in body and "<html" not in body


@pytest.mark.parametrize("url", [PAGE, API])
def test_query_counts_do_not_grow_with_the_rows(cast: Cast, url: str, django_assert_max_num_queries: Callable) -> None:
    client: Client = cast.client("qc_admin") if url == API else browser(cast, "qc_admin")
    events(cast, 10)
    client.get(url)  # warm-up: sessions, content types
    with django_assert_max_num_queries(6) as small:
        assert client.get(url).status_code == 200
    events(cast, 20)
    with django_assert_max_num_queries(6) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_csv_streams_in_a_constant_number_of_queries(cast: Cast, django_assert_max_num_queries: Callable) -> None:
    client = browser(cast, "qc_admin")
    events(cast, 5)
    client.get(CSV)
    counts = []
    for extra in (0, 30):
        events(cast, extra)
        with django_assert_max_num_queries(8) as captured:
            rows = csv_rows(client.get(CSV))
        counts.append(len(captured.captured_queries))
        assert len(rows) >= 5 + extra
    assert counts[0] == counts[1]


def test_the_api_pages_and_shows_the_origin(cast: Cast) -> None:
    events(cast, 3)

    body = cast.client("qc_admin").get(API, {"limit": 2, "action": "rating.set"}).json()

    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    first = body["results"][0]
    assert set(first) >= {"created_at", "actor", "actor_username", "ip", "request_id", "before", "after", "hospital"}
    assert first["created_at"].endswith(("Z", "+00:00", "+08:00"))


def test_times_in_the_page_are_shown_in_utc(cast: Cast) -> None:
    AuditEventFactory(
        created_at=timezone.make_aware(datetime.datetime(2026, 3, 1, 1, 30), datetime.UTC), action="rating.set"
    )
    body = browser(cast, "qc_admin").get(PAGE, {"action": "rating.set"}).content.decode()

    assert "2026-03-01 01:30:00" in body
