"""Move the user's content type from the portal app to this one.

Renaming the row in place keeps its id, so the user permissions and the admin's log entries,
which point at that id, stay attached. A new database has no portal row: this does nothing.
"""

from django.db import migrations


def rename_content_type(apps, schema_editor, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType").objects.using(
        schema_editor.connection.alias
    )
    if content_types.filter(app_label=new, model="user").exists():
        return
    content_types.filter(app_label=old, model="user").update(app_label=new)


def forwards(apps, schema_editor) -> None:
    rename_content_type(apps, schema_editor, old="portal", new="accounts")


def backwards(apps, schema_editor) -> None:
    rename_content_type(apps, schema_editor, old="accounts", new="portal")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
