from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import User
from bench import sizes


class Command(BaseCommand):
    help = (
        "Print each table's rows and bytes (heap, indexes, TOAST) per patient-year of data, "
        "largest first (PostgreSQL only; see docs/scale.md)."
    )

    def handle(self, *args: object, **options: object) -> None:
        years = sizes.patient_years(now=timezone.now())
        patients = User.objects.filter(patient_profile__isnull=False).count()
        table = sizes.table_sizes(sizes.portal_tables())
        self.stdout.write(sizes.report(table, years=years, patients=patients))
