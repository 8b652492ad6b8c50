"""The inbox page, the bell, opening and marking read, the e-mail settings page: through their real URLs."""

from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from notifications.models import EmailChoice, Kind, Notification, Preference
from tests.conftest import Cast

pytestmark = pytest.mark.django_db


def browser(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def note(
    user: Any, n: int = 1, *, kind: str = Kind.CRITERION_RETURNED, link: str = "/assessments/1/#c-1.1-1-1"
) -> list[Notification]:
    return [
        Notification.objects.create(
            recipient=user,
            kind=kind,
            params={"hospital": "甲医院", "year": 2026, "code": f"1.1-1-{i}", "reason": "缺少签字页"},
            link=link,
        )
        for i in range(n)
    ]


def test_the_bell_shows_the_unread_count_in_one_query(cast: Cast, django_assert_num_queries: Any) -> None:
    note(cast.head_a, 3)
    Notification.objects.filter(pk=note(cast.head_a)[0].pk).update(read_at="2026-01-01T00:00:00Z")
    client = browser(cast.head_a)

    with django_assert_num_queries(3):  # session, user, the count
        response = client.get("/notifications/bell/")

    assert response.status_code == 200
    assert 'data-unread="3"' in response.content.decode()


@pytest.mark.parametrize("n", [5, 10])
def test_the_inbox_costs_the_same_with_n_and_2n_rows(cast: Cast, django_assert_num_queries: Any, n: int) -> None:
    note(cast.head_a, n)
    client = browser(cast.head_a)

    with django_assert_num_queries(5):  # session, user, page count, the page's rows, the unread count
        response = client.get("/notifications/")

    assert response.status_code == 200
    assert response.content.decode().count('class="notification is-unread"') == n


def test_the_base_page_loads_the_bell_after_the_page(cast: Cast) -> None:
    page = browser(cast.head_a).get("/assessments/").content.decode()

    assert 'hx-get="/notifications/bell/"' in page and 'href="/notifications/settings/"' in page


def test_the_inbox_shows_only_ones_own_and_filters_by_unread_and_kind(cast: Cast) -> None:
    mine = note(cast.head_a, 2)
    note(cast.head_a, kind=Kind.REPORT_READY)
    note(cast.staff_a, 1)
    Notification.objects.filter(pk=mine[0].pk).update(read_at="2026-01-01T00:00:00Z")
    client = browser(cast.head_a)

    everything = client.get("/notifications/").content.decode()
    unread = client.get("/notifications/?unread=true").content.decode()
    reports = client.get("/notifications/?kind=report_ready").content.decode()

    assert everything.count('<li class="notification') == 3
    assert unread.count('<li class="notification') == 2
    assert reports.count('<li class="notification') == 1
    assert client.get("/notifications/?kind=nonsense").status_code == 400


def test_opening_marks_read_and_lands_on_the_exact_place(cast: Cast) -> None:
    [n] = note(cast.head_a, link="/assessments/7/#c-1.1-1-1")
    client = browser(cast.head_a)

    response = client.post(f"/notifications/{n.pk}/open/")

    assert response.status_code == 302 and response["Location"] == "/assessments/7/#c-1.1-1-1"
    n.refresh_from_db()
    assert n.read_at is not None
    assert AuditEvent.objects.filter(action="notification.read", object_id=str(n.pk)).exists()


def test_someone_elses_notification_answers_404_and_stays_unread(cast: Cast) -> None:
    [n] = note(cast.head_a)

    for who in (cast.staff_a, cast.qc_admin, cast.head_b):
        client = browser(who)
        assert client.post(f"/notifications/{n.pk}/open/").status_code == 404
        assert client.post(f"/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_all_read_touches_only_ones_own(cast: Cast) -> None:
    note(cast.head_a, 3)
    [other] = note(cast.staff_a)

    response = browser(cast.head_a).post("/notifications/read-all/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=cast.head_a, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_settings_page_saves_the_email_choice(cast: Cast) -> None:
    client = browser(cast.head_a)
    assert client.get("/notifications/settings/").status_code == 200

    response = client.post("/notifications/settings/", {"email": EmailChoice.DIGEST})

    assert response.status_code == 302
    assert Preference.objects.get(user=cast.head_a).email == EmailChoice.DIGEST
    assert client.post("/notifications/settings/", {"email": "hourly"}).status_code == 400
    assert Preference.objects.get(user=cast.head_a).email == EmailChoice.DIGEST


def test_the_inbox_reads_in_english_when_switched(cast: Cast) -> None:
    note(cast.head_a)
    client = browser(cast.head_a)
    client.cookies["django_language"] = "en"

    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Notifications" in page and "returned" in page
