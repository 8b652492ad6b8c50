"""The one way database guards (triggers) are run: the statements written for this connection's vendor.

Each app keeps its own triggers next to its models (scoring, indicators, audit: `<app>/db_guards.py`);
other backends have none and rely on the services.
"""

from typing import Any


def execute_for_vendor(connection: Any, statements: dict[str, list[str]]) -> None:
    """Run the statements listed under `connection.vendor` (none for other backends)."""
    with connection.cursor() as cursor:
        for sql in statements.get(connection.vendor, []):
            cursor.execute(sql)
