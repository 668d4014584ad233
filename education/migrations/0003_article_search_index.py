"""Add the GIN index behind article search, on PostgreSQL only.

SQLite has no tsvector, so the index cannot be part of the model's Meta (SQLite would be asked
to build it whenever it rebuilds the table). The expression is frozen here and must equal
education.search.SEARCH_VECTOR; tests/education/test_search.py checks that PostgreSQL uses it.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "education_article_search_gin"


def _index() -> GinIndex:
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    return GinIndex(vector, name=INDEX_NAME)


def add_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("education", "Article"), _index())


def remove_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("education", "Article"), _index())


class Migration(migrations.Migration):
    dependencies = [("education", "0002_initial")]

    operations = [migrations.RunPython(add_index, remove_index)]
