"""Cases keyed by (hospital, case_id), with no surrogate id, no secondary index and no per-row FK check.

A 1,000,000-row import spent most of its time maintaining the id, two extra indexes and the per-row
foreign-key trigger (bench/cases.py). Django cannot alter a table's primary key into a composite one,
so the table is rebuilt: its rows are kept aside, the model is re-created, the rows are put back.
The hospital link is then guarded once per statement by `indicators.db_guards`.
"""

import django.db.models.deletion
from django.db import migrations, models

from indicators.db_guards import install_case_guards, remove_case_guards

COLUMNS = "hospital_id, case_id, date, anesthesia_type, asa, emergency, block_failed, anesthesia_death, post_spinal_headache, invasive_anesthesia_procedure, invasive_anesthesia_infection, invasive_monitoring_procedure, invasive_monitoring_infection, dural_puncture, epidural_vessel_injury, neuro_complication, paraplegia, labor_analgesia, vaginal_delivery, trial_of_labor_converted_to_caesarean, unplanned_return_to_or, hypothermia"


def guards(apps, schema_editor):
    install_case_guards(schema_editor.connection)


def no_guards(apps, schema_editor):
    remove_case_guards(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("indicators", "0003_caserollup"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE TABLE indicators_case_0004 AS SELECT {COLUMNS} FROM indicators_case",
            migrations.RunSQL.noop,  # going back loses the cases (re-import them): the old key cannot be rebuilt
        ),
        migrations.DeleteModel(name="Case"),
        migrations.CreateModel(
            name="Case",
            fields=[
                ("case_id", models.CharField(max_length=64, verbose_name="病例号")),
                ("date", models.DateField(verbose_name="日期")),
                (
                    "anesthesia_type",
                    models.CharField(
                        choices=[
                            ("general", "全身麻醉"),
                            ("neuraxial", "椎管内麻醉"),
                            ("epidural", "硬膜外麻醉"),
                            ("spinal", "腰麻"),
                            ("combined_spinal_epidural", "腰硬联合"),
                            ("nerve_block", "神经阻滞"),
                            ("other", "其他"),
                        ],
                        max_length=24,
                        verbose_name="麻醉方式",
                    ),
                ),
                ("asa", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="ASA 分级")),
                ("emergency", models.BooleanField(db_default=False, default=False, verbose_name="急诊")),
                ("block_failed", models.BooleanField(db_default=False, default=False, verbose_name="阻滞失败")),
                ("anesthesia_death", models.BooleanField(db_default=False, default=False, verbose_name="麻醉相关死亡")),
                ("post_spinal_headache", models.BooleanField(db_default=False, default=False, verbose_name="腰麻后头痛")),
                ("invasive_anesthesia_procedure", models.BooleanField(db_default=False, default=False, verbose_name="有创麻醉操作")),
                (
                    "invasive_anesthesia_infection",
                    models.BooleanField(db_default=False, default=False, verbose_name="有创麻醉操作部位感染"),
                ),
                ("invasive_monitoring_procedure", models.BooleanField(db_default=False, default=False, verbose_name="有创监测操作")),
                (
                    "invasive_monitoring_infection",
                    models.BooleanField(db_default=False, default=False, verbose_name="有创监测操作部位感染"),
                ),
                ("dural_puncture", models.BooleanField(db_default=False, default=False, verbose_name="硬脊膜穿破")),
                ("epidural_vessel_injury", models.BooleanField(db_default=False, default=False, verbose_name="硬膜外血管损伤")),
                ("neuro_complication", models.BooleanField(db_default=False, default=False, verbose_name="神经并发症")),
                ("paraplegia", models.BooleanField(db_default=False, default=False, verbose_name="截瘫")),
                ("labor_analgesia", models.BooleanField(db_default=False, default=False, verbose_name="分娩镇痛")),
                ("vaginal_delivery", models.BooleanField(db_default=False, default=False, verbose_name="经阴道分娩")),
                (
                    "trial_of_labor_converted_to_caesarean",
                    models.BooleanField(db_default=False, default=False, verbose_name="试产转剖宫产"),
                ),
                ("unplanned_return_to_or", models.BooleanField(db_default=False, default=False, verbose_name="非计划重返手术室")),
                ("hypothermia", models.BooleanField(db_default=False, default=False, verbose_name="低体温")),
                (
                    "hospital",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="cases",
                        to="accounts.hospital",
                    ),
                ),
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "hospital", "case_id", blank=True, editable=False, primary_key=True, serialize=False
                    ),
                ),
            ],
            options={
                "verbose_name": "麻醉病例",
                "verbose_name_plural": "麻醉病例",
                "ordering": ["hospital", "date", "case_id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("asa__isnull", True), models.Q(("asa__gte", 1), ("asa__lte", 6)), _connector="OR"
                        ),
                        name="case_asa_range",
                    ),
                ],
            },
        ),
        migrations.RunSQL(
            f"INSERT INTO indicators_case ({COLUMNS}) SELECT {COLUMNS} FROM indicators_case_0004",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL("DROP TABLE indicators_case_0004", migrations.RunSQL.noop),
        migrations.RunPython(guards, no_guards),
    ]
