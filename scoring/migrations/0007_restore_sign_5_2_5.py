"""Issue 14 item 7: restore the "≥" that PDF extraction lost in 5.2-5 ("参编（译）每年1 部"), as in 5.2-2.

Only the wording of the built-in 2011 standard in a database that still has the old text changes;
points, veto flags, the skeleton's note and anything a qc_admin edited stay as they are.
"""

from django.db import migrations

OLD = "或参编（译）每年1 部；"
NEW = "或参编（译）每年≥1 部；"


def restore(apps, schema_editor):
    Criterion = apps.get_model("scoring", "Criterion")
    for criterion in Criterion.objects.filter(standard__code="cq2011", code="5.2-5"):
        if OLD in criterion.text:
            criterion.text = criterion.text.replace(OLD, NEW)
            criterion.save(update_fields=["text"])


def unrestore(apps, schema_editor):
    Criterion = apps.get_model("scoring", "Criterion")
    for criterion in Criterion.objects.filter(standard__code="cq2011", code="5.2-5"):
        criterion.text = criterion.text.replace(NEW, OLD)
        criterion.save(update_fields=["text"])


class Migration(migrations.Migration):
    dependencies = [("scoring", "0006_standard_revision")]

    operations = [migrations.RunPython(restore, unrestore)]
