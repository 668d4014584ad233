"""Entries made the way the portal makes them: through tracker.services (and clinic.services for
shares), so every test's data has its local dates and zone, and every patient's stored status
matches their log.

Only tests about the database's own guards (constraints, migrations) create rows directly.
"""

import datetime
import re
from decimal import Decimal

from django.utils import timezone

from accounts.models import Consent, User
from accounts.services import record_consents
from clinic import services as share_services
from clinic.models import Share
from tracker import medicines, services
from tracker.medicines import DoseInput
from tracker.models import CheckIn, Drink, Episode, MedicineDose
from tracker.services import EpisodeInput


def log_episode(
    patient: User,
    *,
    start: datetime.datetime,
    end: datetime.datetime | None = None,
    severity: int = 5,
    now: datetime.datetime | None = None,
    **details: object,
) -> Episode:
    """Log an episode as the patient would, dated in their current zone."""
    episode, _answered = services.record_episode(
        patient=patient,
        data=EpisodeInput(started_at=start, ended_at=end, severity=severity, **details),
        now=now or timezone.now(),
    )
    return episode


def check_in(
    patient: User,
    *,
    day: datetime.date,
    severity: int,
    now: datetime.datetime | None = None,
) -> CheckIn:
    """Record a day's worst pain (0 = no symptoms), replacing any earlier answer for the day."""
    services.record_checkin(
        patient=patient,
        day=day,
        worst_severity=severity,
        confirm_lower=True,
        now=now or timezone.now(),
    )
    return CheckIn.objects.get(patient=patient, day=day)


def add_drink(
    patient: User, *, day: datetime.date, ml: int, now: datetime.datetime | None = None
) -> Drink:
    return services.add_drink(patient=patient, day=day, amount_ml=ml, now=now or timezone.now())


def take_medicine(
    patient: User,
    *,
    taken_at: datetime.datetime,
    name: str = "Ibuprofen",
    dose: str = "400",
    unit: str = "mg",
    helped: int | None = None,
    side_effects: str = "",
    now: datetime.datetime | None = None,
) -> MedicineDose:
    """Log a medicine dose as the patient would, dated in their current zone."""
    return medicines.add_medicine_dose(
        patient=patient,
        data=DoseInput(
            name=name,
            dose=Decimal(dose),
            unit=unit,
            taken_at=taken_at,
            helped=helped,
            side_effects=side_effects,
        ),
        now=now or timezone.now(),
    )


def answer_red_flags(patient: User, *codes: str, now: datetime.datetime | None = None) -> list[str]:
    return services.record_red_flags(patient=patient, codes=codes, now=now or timezone.now())


def share_request(
    patient: User,
    clinician: User,
    *,
    now: datetime.datetime | None = None,
    date_of_birth: datetime.date = datetime.date(1980, 3, 21),
) -> Share:
    """Ask a clinician to accept the patient's log, as the sharing page does (the patient's own
    name kept, their username as the first name if they have none)."""
    identity = share_services.Identity(
        first_name=patient.first_name or patient.username,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth or date_of_birth,
        nhs_number=patient.nhs_number,
    )
    return share_services.request_share(
        patient=patient, clinician=clinician, identity=identity, now=now or timezone.now()
    )


def share(patient: User, clinician: User, *, now: datetime.datetime | None = None) -> Share:
    """Share the patient's log with the clinician: requested, then accepted by the clinician."""
    now = now or timezone.now()
    accepted, _changed = share_services.accept(
        share=share_request(patient, clinician, now=now), now=now
    )
    return accepted


def agree_to_current_texts(user: User, *, now: datetime.datetime | None = None) -> None:
    """Record the person's agreement to the current privacy notice and terms, as sign-up does
    (clinicians and staff: as their first sign-in does). Test users stand for people using the
    portal today; a test about the consent wall outdates or removes these rows itself.

    Every kind, whatever the role: many tests make a patient and then approve them as a
    clinician, and a real person whose role changes is signed out and simply asked at the next
    sign-in, which is not what those tests are about.
    """
    record_consents(user=user, kinds=Consent.Kind.values, now=now or timezone.now())


# A run of 16 or more letters, digits and token punctuation with both letters and digits in
# it: a signed token in a link, not a word anyone reads.
TOKEN = re.compile(r"[A-Za-z0-9_:.-]{16,}")


def readable_text(text: str) -> str:
    """Return a message's text lower-cased with the random tokens of its links left out (the
    links' paths stay): a signed token is random letters and digits, which sooner or later spell
    "999" or "back" (a reminder's health-word check failed in CI on a token holding "999")."""

    def token_or_word(match: re.Match[str]) -> str:
        run = match.group()
        is_token = any(c.isdigit() for c in run) and any(c.isalpha() for c in run)
        return " " if is_token else run

    return TOKEN.sub(token_or_word, text).lower()
