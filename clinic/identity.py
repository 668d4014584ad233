"""How clinicians tell patients apart: the name, the date of birth with the age, the NHS number.

Two patients may share a name; a clinician checks the date of birth and the NHS number, as on
any NHS record. The same identity shows in the queue, the patient view and the printed summary.
"""

import datetime
from dataclasses import dataclass

from accounts.models import User


def format_nhs_number(digits: str) -> str:
    """Return an NHS number as it is printed and read out, 3 3 4 digits: "943 476 5919"."""
    if not digits:
        return ""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


@dataclass(frozen=True)
class PatientIdentity:
    """What identifies a patient to a clinician. Accounts from before dates of birth were asked
    for have none (date_of_birth and age None); the NHS number is optional ("")."""

    name: str
    date_of_birth: datetime.date | None
    age: int | None
    # As printed, "943 476 5919", or "" when the patient gave none.
    nhs_number: str


def identity_of(patient: User, *, today: datetime.date) -> PatientIdentity:
    """Return the patient's identity, with the age on `today` (the clinician's local day)."""
    return PatientIdentity(
        name=patient.get_full_name() or patient.get_username(),
        date_of_birth=patient.date_of_birth,
        age=patient.age(today=today),
        nhs_number=format_nhs_number(patient.nhs_number),
    )
