# The ratings revision of an assessment (issue 16): a cached result is keyed by it.
# Numbered 0009 (0007-0008 are reserved for another branch); it depends on 0006 only, so merging both
# branches needs a merge migration in scoring.

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
        ("scoring", "0006_standard_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessment",
            name="ratings_revision",
            field=models.BigIntegerField(default=0, editable=False, verbose_name="评分修订号"),
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
