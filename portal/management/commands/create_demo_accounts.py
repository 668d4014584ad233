from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import CLINICIANS, CONTENT_EDITORS
from clinic.access import clinician_profile

# Development only: these passwords are public (they are in the README).
DEMO_ACCOUNTS = (
    # username, password, first name, groups, is_staff, is_superuser
    ("patient", "demo-patient-2026", "Pat", (), False, False),
    ("clinician", "demo-clinician-2026", "Dr Casey", (CLINICIANS,), False, False),
    ("editor", "demo-editor-2026", "Eddie", (CONTENT_EDITORS,), True, False),
    ("admin", "demo-admin-2026", "Ada", (), True, True),
)


class Command(BaseCommand):
    help = "Create or reset the demo accounts (development only: refuses unless DEBUG is on)."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo accounts have public passwords: this only runs with DEBUG on.")
        self.stdout.write("Demo accounts (development only):")
        for username, password, first_name, groups, is_staff, is_superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "email": f"{username}@example.com",
                    "is_staff": is_staff,
                    "is_superuser": is_superuser,
                },
            )
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=groups))
            self.stdout.write(f"  {username:<10} password: {password}")
            if CLINICIANS in groups:
                code = clinician_profile(clinician=user).display_code
                self.stdout.write(f"  {'':<10} share code: {code} (a patient enters it on Sharing)")
