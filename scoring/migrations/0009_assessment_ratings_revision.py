# The ratings revision of an assessment (issue 16): a cached result is keyed by it.

from django.db import migrations, models

from scoring.db_guards import (
    install_finalized_guards,
    install_ratings_revision_triggers,
    remove_ratings_revision_triggers,
)


def triggers(apps, schema_editor):
    # The finalized guard now locks the assessment FOR NO KEY UPDATE (it is updated by the new triggers).
    install_finalized_guards(schema_editor.connection)
    install_ratings_revision_triggers(schema_editor.connection)


def no_triggers(apps, schema_editor):
    remove_ratings_revision_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("scoring", "0008_criterion_not_applicable_levels"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="ratings_revision",
            field=models.BigIntegerField(default=0, editable=False, verbose_name="评分修订号"),
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
