"""Keep Article.search_vector current with a trigger, fill it, and index it; PostgreSQL only.

A trigger rather than code in Python: every write reaches it, including the admin's actions,
the approval of a revision, load_articles and any bulk update that never calls save(). It runs
on every insert and update, so a stale value in a saved instance can never stick.

The GIN index moves from the expression of migration 0003 to the stored column, and the old
index goes: search no longer computes the expression. SQLite has no tsvector, so there the
column stays empty and search matches plain words (education.search).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

CREATE = """
CREATE FUNCTION education_article_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(NEW.summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(NEW.body, '')), 'C');
    RETURN NEW;
END
$$;
CREATE TRIGGER education_article_search_vector
    BEFORE INSERT OR UPDATE ON education_article
    FOR EACH ROW EXECUTE FUNCTION education_article_search_vector();
-- Each row's update runs the trigger, which writes the vector.
UPDATE education_article SET search_vector = NULL;
-- Without fastupdate every write goes straight into the index. Articles change a few times a
-- day; a pending list would only make the planner shun the index after a bulk load (it counts
-- the list's pages until a vacuum empties it).
CREATE INDEX education_article_search_vector_gin ON education_article
    USING gin (search_vector) WITH (fastupdate = off);
DROP INDEX education_article_search_gin;
"""

DROP = """
DROP INDEX education_article_search_vector_gin;
DROP TRIGGER education_article_search_vector ON education_article;
DROP FUNCTION education_article_search_vector();
"""


def _expression_index() -> GinIndex:
    """Return migration 0003's index, on the expression search computed before this one."""
    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("summary", weight="B", config="english")
        + SearchVector("body", weight="C", config="english")
    )
    return GinIndex(vector, name="education_article_search_gin")


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)
        schema_editor.add_index(apps.get_model("education", "Article"), _expression_index())


class Migration(migrations.Migration):
    dependencies = [("education", "0008_article_search_vector")]

    operations = [migrations.RunPython(create, drop)]
