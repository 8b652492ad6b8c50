"""API throttles (issue 12, "decide and document"): the token endpoint and anonymous callers, per address."""

import pytest
from rest_framework.test import APIClient

from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.throttled]


def test_the_token_endpoint_answers_429_beyond_its_rate(cast: Cast, settings) -> None:
    client = APIClient(REMOTE_ADDR="198.51.100.1")
    answers = [
        client.post("/api/v1/auth/token/", {"username": "head_a", "password": PASSWORD}).status_code for _ in range(12)
    ]
    assert answers[:10] == [200] * 10
    assert answers[10:] == [429, 429]
    other = APIClient(REMOTE_ADDR="198.51.100.2")  # another address has its own allowance
    assert other.post("/api/v1/auth/token/", {"username": "head_a", "password": PASSWORD}).status_code == 200


def test_anonymous_callers_of_the_open_endpoints_are_throttled_signed_in_ones_are_not(cast: Cast) -> None:
    """Endpoints that need a user answer anonymous callers 401 before any throttle counts (DRF checks
    permissions first); those open to anyone (the API docs and schema) answer 429 beyond the rate."""
    anonymous = APIClient(REMOTE_ADDR="198.51.100.3")
    answers = [anonymous.get("/api/docs/").status_code for _ in range(61)]
    assert answers[:60] == [200] * 60 and answers[60] == 429
    signed_in = cast.client("head_a")
    assert all(signed_in.get("/api/v1/standards/").status_code == 200 for _ in range(70))
