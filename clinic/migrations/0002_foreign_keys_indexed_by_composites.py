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
    ("clinic_auditevent", "patient_id", "clinic_auditevent_patient_id_bc338fe1"),
    ("clinic_share", "clinician_id", "clinic_share_clinician_id_10adc9d8"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="auditevent",
                    name="patient",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="audit_events",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="share",
                    name="clinician",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="shares_received",
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
