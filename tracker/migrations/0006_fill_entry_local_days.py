"""Date every existing entry in its patient's current zone, as the pages did until now.

From here on an entry's local dates are fixed when it is recorded; before, they were worked
out again on every page from the profile's zone, so the current zone is what patients saw.
PostgreSQL does it in one statement per table (millions of rows on a large install); other
databases go patient by patient.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations

ONE_MICROSECOND = datetime.timedelta(microseconds=1)


def _zone(name):
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo("UTC")


def fill_postgresql(schema_editor, users):
    quote = schema_editor.quote_name
    user_table = quote(users)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE tracker_episode AS e
               SET time_zone = u.time_zone,
                   start_day = (e.started_at AT TIME ZONE u.time_zone)::date,
                   end_day = CASE WHEN e.ended_at IS NULL THEN NULL ELSE GREATEST(
                       (e.started_at AT TIME ZONE u.time_zone)::date,
                       ((e.ended_at - interval '1 microsecond') AT TIME ZONE u.time_zone)::date
                   ) END
              FROM {user_table} AS u
             WHERE u.id = e.patient_id
            """
        )
        for table in ("tracker_checkin", "tracker_drink"):
            cursor.execute(
                f"UPDATE {table} AS t SET time_zone = u.time_zone "
                f"FROM {user_table} AS u WHERE u.id = t.patient_id"
            )


def fill_each(apps):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Episode = apps.get_model("tracker", "Episode")
    CheckIn = apps.get_model("tracker", "CheckIn")
    Drink = apps.get_model("tracker", "Drink")
    for user_id, name in User.objects.values_list("id", "time_zone").iterator():
        zone = _zone(name)
        episodes = list(Episode.objects.filter(patient_id=user_id))
        for episode in episodes:
            episode.time_zone = name
            episode.start_day = episode.started_at.astimezone(zone).date()
            if episode.ended_at is None:
                episode.end_day = None
            else:
                last = (episode.ended_at - ONE_MICROSECOND).astimezone(zone).date()
                episode.end_day = max(episode.start_day, last)
        Episode.objects.bulk_update(episodes, ["time_zone", "start_day", "end_day"], batch_size=500)
        CheckIn.objects.filter(patient_id=user_id).update(time_zone=name)
        Drink.objects.filter(patient_id=user_id).update(time_zone=name)


def fill(apps, schema_editor):
    User = apps.get_model(settings.AUTH_USER_MODEL)
    if schema_editor.connection.vendor == "postgresql":
        fill_postgresql(schema_editor, User._meta.db_table)
    else:
        fill_each(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0005_entry_local_days"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
