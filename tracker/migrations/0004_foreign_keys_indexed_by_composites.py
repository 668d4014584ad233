"""Drop the index of each foreign key that a composite index or unique constraint starts with.

Only the index goes. AlterField on its own would also drop and re-add each foreign-key
constraint, which PostgreSQL then checks against every row with the table locked for writes
(9.6 s on the 10,000-patient benchmark database). The names are those Django gave the indexes;
tests/test_indexes.py checks the database has none of them left.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INDEXES = [  # table, column, index
    ("tracker_acknowledgement", "patient_id", "tracker_acknowledgement_patient_id_83a5631f"),
    ("tracker_checkin", "patient_id", "tracker_checkin_patient_id_7a7159d4"),
    ("tracker_drink", "patient_id", "tracker_drink_patient_id_a685366a"),
    ("tracker_episode", "patient_id", "tracker_episode_patient_id_946b4b14"),
    ("tracker_episodelocation", "episode_id", "tracker_episodelocation_episode_id_0756bcc3"),
    ("tracker_episodespread", "episode_id", "tracker_episodespread_episode_id_c5a8400d"),
    ("tracker_episodetrigger", "episode_id", "tracker_episodetrigger_episode_id_5662192e"),
    ("tracker_hydrationday", "patient_id", "tracker_hydrationday_patient_id_56f3c29e"),
    ("tracker_redflaganswer", "patient_id", "tracker_redflaganswer_patient_id_33040be1"),
    ("tracker_relieftried", "episode_id", "tracker_relieftried_episode_id_d9d5a246"),
    ("tracker_submission", "patient_id", "tracker_submission_patient_id_7aa39546"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0003_acknowledgement"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="acknowledgement",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="acknowledgements",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="checkin",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="checkins",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="drink",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="drinks",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="episode",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="episodes",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="episodelocation",
                    name="episode",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="locations",
                        to="tracker.episode",
                    ),
                ),
                migrations.AlterField(
                    model_name="episodespread",
                    name="episode",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spread",
                        to="tracker.episode",
                    ),
                ),
                migrations.AlterField(
                    model_name="episodetrigger",
                    name="episode",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="triggers",
                        to="tracker.episode",
                    ),
                ),
                migrations.AlterField(
                    model_name="hydrationday",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="hydration_days",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="redflaganswer",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="red_flag_answers",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="relieftried",
                    name="episode",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="relief",
                        to="tracker.episode",
                    ),
                ),
                migrations.AlterField(
                    model_name="submission",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="submissions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX "{index}"' for _table, _column, index in INDEXES],
                    reverse_sql=[
                        f'CREATE INDEX "{index}" ON "{table}" ("{column}")'
                        for table, column, index in INDEXES
                    ],
                ),
            ],
        ),
    ]
