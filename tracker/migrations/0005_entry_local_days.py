# Adds the local dates and zone every entry keeps (CLINICAL.md 2). Nullable here; 0006 fills
# them from each patient's current zone, 0007 makes them required.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0004_foreign_keys_indexed_by_composites"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="time_zone",
            field=models.CharField(max_length=64, null=True, verbose_name="time zone"),
        ),
        migrations.AddField(
            model_name="episode",
            name="start_day",
            field=models.DateField(null=True, verbose_name="first day"),
        ),
        migrations.AddField(
            model_name="episode",
            name="end_day",
            field=models.DateField(blank=True, null=True, verbose_name="last day"),
        ),
        migrations.AddField(
            model_name="checkin",
            name="time_zone",
            field=models.CharField(max_length=64, null=True, verbose_name="time zone"),
        ),
        migrations.AddField(
            model_name="drink",
            name="time_zone",
            field=models.CharField(max_length=64, null=True, verbose_name="time zone"),
        ),
    ]
