import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.roles import CLINICAL_REVIEWERS, CLINICIANS, CONTENT_EDITORS
from accounts.second_factor import give_recovery_codes, give_totp
from clinic.access import clinician_profile

# Development only: these passwords are public (they are in the README).
DEMO_ACCOUNTS = (
    # username, password, first name, groups, is_staff, is_superuser
    ("patient", "demo-patient-2026", "Pat", (), False, False),
    ("clinician", "demo-clinician-2026", "Dr Casey", (CLINICIANS,), False, False),
    ("editor", "demo-editor-2026", "Eddie", (CONTENT_EDITORS,), True, False),
    # Approves what editors write (issue 19); `make run` loads the library in this name, so
    # development pages say plainly that a demo account reviewed them.
    ("reviewer", "demo-reviewer-2026", "Riley", (CLINICAL_REVIEWERS,), True, False),
    ("admin", "demo-admin-2026", "Ada", (), True, True),
)
# Readers see a reviewer's full name: the demo one says it is a demo.
DEMO_LAST_NAMES = {"reviewer": "Demo-Reviewer"}
DEMO_REVIEWER_ROLE = "Physiotherapist (demo account, not a real review)"


DEMO_BIRTH_DATE = datetime.date(1984, 6, 2)


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
                    "last_name": DEMO_LAST_NAMES.get(username, ""),
                    "email": f"{username}@example.com",
                    "is_staff": is_staff,
                    "is_superuser": is_superuser,
                    "date_of_birth": DEMO_BIRTH_DATE if not (groups or is_staff) else None,
                },
            )
            user.set_password(password)
            user.save()
            user.groups.set(Group.objects.filter(name__in=groups))
            # The address counts as verified, so the account can log in at once.
            EmailAddress.objects.update_or_create(
                user=user,
                email=user.email,
                defaults={"verified": True, "primary": True},
            )
            self.stdout.write(f"  {username:<10} password: {password}")
            if groups or is_staff:
                # Clinicians and staff sign in with a second factor, as in production.
                secret = give_totp(user)
                codes = give_recovery_codes(user)
                self.stdout.write(
                    f"  {'':<10} second factor: add the key {secret} to an authenticator app, "
                    f"or type a recovery code: {', '.join(codes[:3])}"
                )
            if CLINICIANS in groups:
                code = clinician_profile(clinician=user).display_code
                self.stdout.write(f"  {'':<10} share code: {code} (a patient enters it on Sharing)")
