"""Both CSV downloads (the patient's own, the clinician's) neutralise spreadsheet formulas.

tests/tracker/test_exports.py covers csv_safe cell by cell and the export with =, +, - and @;
here every formula trigger OWASP names (=, +, -, @, tab, carriage return and ;), written out
rather than read from the code under test, goes through csv_safe and through each download as
a person would fetch it, and no cell of any file may start a formula.
"""

import csv
import datetime
import io
import zipfile

import pytest
from django.test.client import ClientHandler
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import CLINICIANS
from clinic.access import approve_clinician
from tests.conftest import make_user
from tests.factories import log_episode, share
from tests.properties.conftest import client_with
from tracker.exports import csv_safe

# OWASP's list (CSV injection), issue 17's finding: ";"-led cells were not escaped.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", ";")


@pytest.mark.parametrize("start", TRIGGERS, ids=repr)
def test_a_cell_starting_with_a_formula_trigger_gets_a_leading_quote(start: str) -> None:
    assert csv_safe(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"
    assert csv_safe(start) == f"'{start}"


@pytest.mark.parametrize("start", [t for t in TRIGGERS if not t.isspace()], ids=repr)
def test_a_trigger_behind_leading_spaces_is_escaped_too(start: str) -> None:
    # Some spreadsheets trim leading spaces on import, uncovering the trigger.
    assert csv_safe(f"  {start}1") == f"'  {start}1"


@pytest.mark.parametrize(
    "value",
    [
        "Lifting boxes",
        "Back ache - again; worse at night",
        "Heat; Ice",
        "A+ day",
        "me@example.org",
        "2025-03-02T09:00:00+00:00",
        "",
        0,
        -1,
        250,
        -2.5,
        None,
    ],
    ids=repr,
)
def test_ordinary_text_and_numbers_are_unchanged(value: object) -> None:
    result = csv_safe(value)
    assert result == value
    assert type(result) is type(value)


def cells(archive: bytes) -> list[tuple[str, str]]:
    """Return (file name, cell) for every data cell of every CSV file in the archive."""
    found = []
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        for name in zipped.namelist():
            rows = list(csv.reader(io.StringIO(zipped.read(name).decode("utf-8-sig"))))
            found += [(name, cell) for row in rows[1:] for cell in row]
    return found


def download(handler: ClientHandler, export: str, patient: User) -> bytes:
    """Fetch the patient's log as the patient, or as a clinician they share it with."""
    if export == "patient":
        response = client_with(handler, patient).get(reverse("tracker:export_csv"))
    else:
        clinician = make_user("clinician", groups=(CLINICIANS,))
        approve_clinician(user=clinician)
        share(patient, clinician)
        client = client_with(handler, clinician)
        response = client.get(reverse("clinic:export_csv", args=[patient.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return response.content


@pytest.mark.django_db
@pytest.mark.parametrize("export", ["patient", "clinician"])
@pytest.mark.parametrize("start", TRIGGERS, ids=repr)
def test_no_cell_of_either_csv_download_starts_a_formula(
    handler: ClientHandler, export: str, start: str
) -> None:
    # A username may start with @, + or - (signing up allows them): each export gets one.
    patient = make_user(f"{'@+-'[TRIGGERS.index(start) % 3]}mallory")
    formula = '=HYPERLINK("https://evil.example","x")'
    log_episode(
        patient,
        start=timezone.now() - datetime.timedelta(hours=3),
        severity=5,
        activity=f"{start}SUM(1)",
        # Some spreadsheets trim leading whitespace on import, uncovering what follows it.
        trigger_other=f"  {start}{formula}",
        notes=f"{start}{formula}",
    )

    found = cells(download(handler, export, patient))

    texts = [cell for _name, cell in found if "HYPERLINK" in cell or "SUM(1)" in cell]
    assert len(texts) == 3, found
    assert all(cell.startswith("'") for cell in texts), texts
    risky = [(name, cell) for name, cell in found if cell.lstrip().startswith(TRIGGERS)]
    assert risky == []
    usernames = [cell for name, cell in found if name == "profile.csv" and "mallory" in cell]
    assert usernames == [f"'{patient.username}"]
