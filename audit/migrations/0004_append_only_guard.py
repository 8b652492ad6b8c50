"""Install the append-only guard of the audit trail (see audit/db_guards.py)."""

from django.db import migrations

from audit.db_guards import install_audit_guards, remove_audit_guards


def forward(apps, schema_editor) -> None:  # noqa: ANN001, ARG001
    install_audit_guards(schema_editor.connection)


def backward(apps, schema_editor) -> None:  # noqa: ANN001, ARG001
    remove_audit_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_trail_origin_and_archive")]

    operations = [migrations.RunPython(forward, backward)]
