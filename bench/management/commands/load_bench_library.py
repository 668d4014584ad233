from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.roles import CLINICAL_REVIEWERS
from education.library import load_library

BENCH_REVIEWER = "bench-reviewer"


class Command(BaseCommand):
    help = (
        "Load and publish the article library for benchmarks and load tests, approved by a "
        "made-up reviewer account (never for a real site: its pages would name that account)."
    )

    def handle(self, *args: object, **options: object) -> None:
        reviewer, _ = User.objects.get_or_create(
            username=BENCH_REVIEWER,
            defaults={"first_name": "Bench", "last_name": "Reviewer", "is_staff": True},
        )
        reviewer.groups.add(Group.objects.get(name=CLINICAL_REVIEWERS))
        report = load_library(approve_as=reviewer, reviewer_role="Benchmark data")
        if report.refused:
            raise SystemExit(f"Articles not approved: {report.refused}")
        self.stdout.write(f"Articles approved: {len(report.approved)}")
