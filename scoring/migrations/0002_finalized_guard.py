"""Install the database guard for finalized assessments (see scoring/db_guards.py)."""

from django.db import migrations

from scoring.db_guards import install_finalized_guards, remove_finalized_guards


def forward(apps, schema_editor) -> None:  # noqa: ANN001, ARG001
    install_finalized_guards(schema_editor.connection)


def backward(apps, schema_editor) -> None:  # noqa: ANN001, ARG001
    remove_finalized_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
