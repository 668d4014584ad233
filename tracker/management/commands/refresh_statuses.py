"""Recompute stored patient statuses ahead of being read.

Correctness never depends on this: a stale row is recomputed when it is read. Run it after a
deploy that changes the assessment (tracker.assessment.VERSION), or from a scheduler shortly
after midnight, so that the first clinician of the day does not wait for the recomputing.
"""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from tracker import services
from tracker.models import CheckIn, Episode, RedFlagAnswer


class Command(BaseCommand):
    help = "Recompute the stored status of every patient whose row is missing or stale."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--all-patients",
            action="store_true",
            help="include people with nothing logged (by default only those with a log)",
        )

    def handle(self, *args: object, all_patients: bool = False, **options: object) -> None:
        now = timezone.now()
        patients = User.objects.all()
        if not all_patients:
            logged = Q()
            for model in (Episode, CheckIn, RedFlagAnswer):
                logged |= Q(Exists(model.objects.filter(patient=OuterRef("pk"))))
            patients = patients.filter(logged)
        stale = services.stale_patients(queryset=patients.order_by("pk"), now=now)
        services.refresh_stale(stale, now=now)
        self.stdout.write(f"Recomputed {len(stale)} patient statuses.")
