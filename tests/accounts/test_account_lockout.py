"""Lockout per account across addresses, and the console's way out (issue 12, "decide and document").

Per (account, address) django-axes locks after LOGIN_FAILURE_LIMIT failures for a short while, so a
colleague elsewhere is not affected; per account, ACCOUNT_FAILURE_LIMIT failures from any addresses
within ACCOUNT_LOCKOUT_HOURS lock the account everywhere. `manage.py unlock_account` lifts both
without a second qc_admin.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.accounts.test_lockout import token_login, web_login
from tests.conftest import Cast
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _spread_failures(username: str, count: int) -> None:
    # Below the per-address limit at each address, as a guesser with many addresses would stay.
    for i in range(count):
        web_login(username, "wrong-" + PASSWORD, ip=f"10.1.{i // 200}.{i % 200 + 1}")


def test_failures_from_many_addresses_lock_the_account_everywhere(cast: Cast, settings) -> None:
    settings.ACCOUNT_FAILURE_LIMIT = 8
    _spread_failures("qc_admin", 8)

    refused = web_login("qc_admin", PASSWORD, ip="192.0.2.7")  # a fresh address, the right password
    assert refused.status_code == 429
    assert token_login("qc_admin", PASSWORD, ip="192.0.2.8").status_code == 429
    assert web_login("head_a", PASSWORD, ip="192.0.2.7").status_code == 302  # other accounts: unaffected


def test_below_the_account_limit_the_right_password_still_signs_in(cast: Cast, settings) -> None:
    settings.ACCOUNT_FAILURE_LIMIT = 8
    _spread_failures("qc_admin", 7)
    assert web_login("qc_admin", PASSWORD, ip="192.0.2.7").status_code == 302


def test_the_console_unlocks_the_only_qc_admin_and_the_audit_log_says_so(cast: Cast, settings) -> None:
    settings.ACCOUNT_FAILURE_LIMIT = 8
    _spread_failures("qc_admin", 8)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        web_login("qc_admin", "wrong-" + PASSWORD)  # and locked out at the usual address too
    assert web_login("qc_admin", PASSWORD).status_code == 429

    out = io.StringIO()
    call_command("unlock_account", "qc_admin", stdout=out)

    assert "lockouts lifted" in out.getvalue()
    assert web_login("qc_admin", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="user.unlock")
    assert event.actor is None and event.after["via"] == "console"
    with pytest.raises(CommandError):
        call_command("unlock_account", "nobody")
