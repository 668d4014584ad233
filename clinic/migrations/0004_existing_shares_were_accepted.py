from django.db import migrations
from django.db.models import F


def accept_existing_shares(apps, schema_editor):
    """Record the shares made before requests existed as accepted when they were made.

    They took effect at once and their clinicians have been seeing those logs since, so
    "accepted" is what happened; taking them away would empty every queue without a word.
    """
    Share = apps.get_model("clinic", "Share")
    Share.objects.filter(revoked_at__isnull=True).update(
        status="accepted", decided_at=F("consented_at")
    )
    Share.objects.filter(revoked_at__isnull=False).update(
        status="stopped", decided_at=F("consented_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_share_requests_and_display_name"),
    ]

    operations = [
        migrations.RunPython(accept_existing_shares, migrations.RunPython.noop, elidable=True),
    ]
