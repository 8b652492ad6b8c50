"""manage.py unlock_account USERNAME: lift an account's sign-in lockouts from the server's console.

The recovery path when the only qc_admin is locked out (by their own typos, or by someone behind
the same NAT address): it needs shell access to the server, not a second qc_admin. Audited.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import user_unlock_from_console


class Command(BaseCommand):
    help = "Lift the sign-in lockouts of an account (per address and per account); recorded in the audit log."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        cleared = user_unlock_from_console(user=user)
        self.stdout.write(self.style.SUCCESS(f"{user.username}: lockouts lifted ({cleared} failure records cleared)."))
