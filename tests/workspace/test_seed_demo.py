"""`manage.py seed_demo`, which `make run` calls: demo hospitals and one user per role, repeatable."""

import io

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Hospital, Role, User

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_three_levels_a_key_specialty_and_every_role() -> None:
    out = io.StringIO()
    call_command("seed_demo", "--force-demo", stdout=out)
    assert Hospital.objects.count() == 3
    assert set(Hospital.objects.values_list("level", flat=True)) == {"3A", "3B", "2A"}
    assert Hospital.objects.filter(key_specialty=True).count() == 1
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert "demo-head-2011" in out.getvalue()
    assert User.objects.get(username="head").check_password("demo-head-2011")


def test_seed_demo_can_run_twice() -> None:
    call_command("seed_demo", "--force-demo", stdout=io.StringIO())
    call_command("seed_demo", "--force-demo", stdout=io.StringIO())
    assert Hospital.objects.count() == 3
    assert User.objects.count() == 5


def test_seed_demo_refuses_a_database_that_is_not_a_demo(settings) -> None:
    """Run against production it would reset qcadmin to a published password: without DEBUG it asks for --force-demo."""
    settings.DEBUG = False
    User.objects.create_user(username="qcadmin", password="the-real-secret-password-2026", role=Role.QC_ADMIN)

    with pytest.raises(CommandError, match="--force-demo"):
        call_command("seed_demo", stdout=io.StringIO())

    assert User.objects.get(username="qcadmin").check_password("the-real-secret-password-2026")
    assert not Hospital.objects.exists()


def test_seed_demo_runs_with_debug_on(settings) -> None:
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.get(username="qcadmin").check_password("demo-qcadmin-2011")
