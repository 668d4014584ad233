"""Create the role groups: Clinicians (no permissions yet) and Content editors (exactly the
education app's permissions, except changing the revision history, which editors may only
view). Staff put people in them in the admin; sign-up never does."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CLINICIANS = "Clinicians"
CONTENT_EDITORS = "Content editors"


def create_groups(apps, schema_editor) -> None:
    # Permissions are normally created after all migrations; create the education app's now so
    # the group can be given them on a fresh database.
    education = apps.get_app_config("education")
    education.models_module = True
    create_permissions(education, apps=apps, verbosity=0)
    education.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.get_or_create(name=CLINICIANS)
    editors, _ = Group.objects.get_or_create(name=CONTENT_EDITORS)
    editors.permissions.set(
        Permission.objects.filter(content_type__app_label="education").exclude(
            codename__in=[f"{action}_historicalarticle" for action in ("add", "change", "delete")]
        )
    )


def remove_groups(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name__in=[CLINICIANS, CONTENT_EDITORS]).delete()


class Migration(migrations.Migration):
    replaces = [("portal", "0002_roles")]

    dependencies = [
        ("accounts", "0001_initial"),
        ("education", "0003_article_search_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
