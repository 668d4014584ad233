"""Drop the index of each foreign key that a composite index or unique constraint starts with.

Only the index goes. AlterField on its own would also drop and re-add each foreign-key
constraint, which PostgreSQL then checks against every row with the table locked for writes
(9.6 s on the 10,000-patient benchmark database). The names are those Django gave the indexes;
tests/test_indexes.py checks the database has none of them left.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [  # table, column, index
    ("education_exercisestep", "article_id", "education_exercisestep_article_id_28e8af9a"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("education", "0004_source_url_is_a_web_address"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="exercisestep",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="education.article",
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
