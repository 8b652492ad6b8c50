"""The second sign-in step shows nothing that cannot open yet: no navigation, no notification bell.

The bell loaded itself with htmx and was answered by the redirect to this very step; the request kept the
page's "a save is under way" guard up, so leaving the page asked for confirmation (issue 13's layout walk
found the page could not be left).
"""

from typing import Any

from django.test import Client

from tests.accounts.factories import PASSWORD, TOTPDeviceFactory


def test_the_second_step_page_has_no_bell_and_no_navigation(cast: Any) -> None:
    TOTPDeviceFactory(user=cast.inspector_unassigned)
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": cast.inspector_unassigned.username, "password": PASSWORD}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/verify/")
    assert 'id="notification-bell"' not in page and 'class="nav-links"' not in page
    assert "/accounts/logout/" in page  # signing out stays possible
