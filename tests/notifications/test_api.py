"""The notifications API: the caller's own list, mark one read, mark all read."""

from typing import Any

import pytest

from notifications.models import Kind, Notification
from tests.conftest import Cast
from tests.notifications.test_inbox import note

pytestmark = pytest.mark.django_db


def test_the_list_is_ones_own_with_text_and_link(cast: Cast) -> None:
    note(cast.head_a, 2)
    note(cast.staff_a, 1)

    body = cast.client("head_a").get("/api/v1/notifications/").json()

    assert body["count"] == 2
    first = body["results"][0]
    assert first["kind"] == Kind.CRITERION_RETURNED and "被退回" in first["text"]
    assert first["link"].startswith("/assessments/") and first["is_read"] is False


def test_the_list_filters_unread(cast: Cast) -> None:
    [a, _b] = note(cast.head_a, 2)
    Notification.objects.filter(pk=a.pk).update(read_at="2026-01-01T00:00:00Z")

    assert cast.client("head_a").get("/api/v1/notifications/?unread=true").json()["count"] == 1


@pytest.mark.parametrize("n", [5, 10])
def test_the_list_costs_the_same_with_n_and_2n_rows(cast: Cast, django_assert_num_queries: Any, n: int) -> None:
    note(cast.head_a, n)
    client = cast.client("head_a")

    with django_assert_num_queries(3):  # the token with its user, the count, the page
        response = client.get("/api/v1/notifications/")

    assert response.status_code == 200 and response.json()["count"] == n


def test_read_marks_one_and_someone_elses_answers_404(cast: Cast) -> None:
    [n] = note(cast.head_a)

    assert cast.client("staff_a").post(f"/api/v1/notifications/{n.pk}/read/").status_code == 404
    response = cast.client("head_a").post(f"/api/v1/notifications/{n.pk}/read/")

    assert response.status_code == 200 and response.json()["is_read"] is True


def test_read_all_marks_every_unread_of_the_caller(cast: Cast) -> None:
    note(cast.head_a, 3)
    [other] = note(cast.staff_a)

    response = cast.client("head_a").post("/api/v1/notifications/read-all/")

    assert response.json() == {"marked": 3}
    other.refresh_from_db()
    assert other.read_at is None
