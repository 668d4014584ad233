"""Every sharing and clinician form and URL parameter, fed anything.

Never a server error; a refused request changes no table; a clinician's reading changes only
the audit trail, with one event per page (and never the patient's stored status); what is
written obeys the rules of its form. Any page may refresh its reader's own stale status.
"""

import io
import json
import zipfile

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis import strategies as st

from accounts.forms import DateOfBirthField, NHSNumberField
from accounts.models import User
from clinic.access import approve_clinician, clinician_profile
from clinic.forms import MAX_RANGE_DAYS
from clinic.models import CONSENT_VERSION, AuditEvent, ClinicianNote, Share
from tests.factories import answer_red_flags, share
from tests.properties.conftest import assert_status_matches_log
from tests.properties.state import (
    STATUS,
    changed_statuses,
    changed_tables,
    new_rows,
    rolled_back,
    snapshot,
)
from tests.properties.strategies import (
    day_text,
    examples,
    form_data,
    id_in_path,
    junk,
    junk_text,
    last,
    path_ids,
    path_with,
    text,
)
from tracker.models import Acknowledgement, RedFlagAnswer
from tracker.presenter import URGENCY_NAMES

RANGE_PARAMS = form_data(
    {
        "since": day_text,
        "until": day_text,
        "days": st.sampled_from(["30", "90"]),
    },
    max_spoiled=3,
)
# Ids: the patient who shares with bob, one who does not, or anything at all in the path.
patient_ids = st.one_of(st.sampled_from(["sharing", "not sharing"]), path_ids)


def patient_segment(choice: str, *, sharing: User, other: User) -> str:
    return {"sharing": str(sharing.pk), "not sharing": str(other.pk)}.get(choice, choice)


def shares_with_bob(segment: str, patient: User) -> bool:
    return id_in_path(segment) == patient.pk


@examples(30)
@given(
    choice=patient_ids,
    page=st.sampled_from(
        ["patient_detail", "summary", "export_csv", "export_fhir"],
    ),
    query=RANGE_PARAMS,
)
# Just past the id column's range: once a server error on SQLite.
@example(choice=str(2**63), page="patient_detail", query={})
@rolled_back
def test_reading_a_patient_is_audited_once_and_changes_nothing_else(
    patient: User,
    charlie: User,
    clinician: User,
    clinician_client: Client,
    choice: str,
    page: str,
    query: dict,
) -> None:
    segment = patient_segment(choice, sharing=patient, other=charlie)
    before = snapshot()

    response = clinician_client.get(path_with(f"clinic:{page}", segment), query)
    event(f"status {response.status_code}")

    after = snapshot()
    if not shares_with_bob(segment, patient):
        assert response.status_code == 404
        assert changed_tables(before, after, own_status_of=clinician.pk) == set()
        return
    assert response.status_code == 200
    assert changed_tables(before, after, own_status_of=clinician.pk) == {"clinic.AuditEvent"}
    [row] = new_rows(before, after, "clinic.AuditEvent")
    audited = AuditEvent.objects.get(pk=row[0])
    assert (audited.actor, audited.patient) == (clinician, patient)
    if page == "export_csv":
        assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None
    elif page == "export_fhir":
        assert json.loads(response.content)["resourceType"] == "Bundle"
    else:
        since, until = response.context["since"], response.context["until"]
        assert 0 <= (until - since).days < MAX_RANGE_DAYS


@examples(30)
@given(
    query=form_data(
        {
            "q": st.one_of(st.sampled_from(["alice", "ALI", "charlie"]), text(20)),
            "flag": st.sampled_from(["", *URGENCY_NAMES]),
            "page": st.integers(min_value=-2, max_value=3).map(str),
        },
        max_spoiled=3,
    )
)
@example(query={"q": "a\x00b"})  # PostgreSQL refuses NUL in text: once a server error
@rolled_back
def test_searching_the_queue_lists_only_patients_who_share(
    patient: User, charlie: User, clinician: User, clinician_client: Client, query: dict
) -> None:
    before = snapshot()

    url = reverse("clinic:queue")
    page = query.pop("page", None)
    response = clinician_client.post(url, query)
    event(f"status {response.status_code}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] == url
        response = clinician_client.get(url, {"page": page} if page is not None else {})

    assert response.status_code == 200
    # A search is a way of reading: it is kept in the session, never in a table.
    assert changed_tables(before, snapshot(), own_status_of=clinician.pk) == set()
    listed = {row.patient for row in response.context["page"].object_list}
    assert listed <= {patient}


@examples(37)
@given(
    red_flag=st.one_of(st.sampled_from(["own", "other's", ""]), junk),
    run=st.one_of(st.just("current"), junk),
)
@example(red_flag="²", run="")  # isdigit() but not int(): once a server error
@example(red_flag="9" * 5000, run="")  # too long for int(): once a server error
@rolled_back
def test_acknowledging_records_only_the_patients_own_flag_or_run(
    patient: User,
    charlie: User,
    clinician: User,
    clinician_client: Client,
    red_flag: object,
    run: object,
) -> None:
    answer_red_flags(patient, "fever")
    answer_red_flags(charlie, "fever")
    own = RedFlagAnswer.objects.get(patient=patient)
    others = RedFlagAnswer.objects.get(patient=charlie)
    if red_flag in ("own", "other's"):
        red_flag = str(own.pk if red_flag == "own" else others.pk)
    before = snapshot()

    response = clinician_client.post(
        reverse("clinic:acknowledge", args=[patient.pk]), {"red_flag": red_flag, "run": run}
    )
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (302, 404)
    changed = changed_tables(before, after)
    if response.status_code == 404 or not changed:
        assert changed == set()
        return
    # A seen answer no longer ranks the patient: her stored status changes with it.
    assert changed == {"tracker.Acknowledgement", "clinic.AuditEvent", STATUS}
    [row] = new_rows(before, after, "tracker.Acknowledgement")
    seen = Acknowledgement.objects.get(pk=row[0])
    assert (seen.patient, seen.clinician) == (patient, clinician)
    # alice has no run of symptoms, so the only thing there is to acknowledge is her answer.
    assert seen.red_flag == own
    assert changed_statuses(before, after) == {patient.pk}
    assert_status_matches_log(patient)


def note_is_valid(value: object) -> bool:
    """Say whether a note can be saved: some text, at most 4,000 characters, no NUL."""
    note = last(value).strip()
    return bool(note) and len(note) <= 4000 and "\x00" not in note


@examples(45)
@given(note=st.one_of(text(200), junk, st.just("x" * 4000), st.just("x" * 4001)))
@rolled_back
def test_a_note_is_saved_exactly_when_it_is_valid(
    patient: User, clinician: User, clinician_client: Client, note: object
) -> None:
    before = snapshot()

    response = clinician_client.post(reverse("clinic:note_add", args=[patient.pk]), {"text": note})
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code == 302
    if not note_is_valid(note):
        assert changed_tables(before, after) == set()
        return
    assert changed_tables(before, after) == {"clinic.ClinicianNote", "clinic.AuditEvent"}
    [row] = new_rows(before, after, "clinic.ClinicianNote")
    saved = ClinicianNote.objects.get(pk=row[0])
    assert (saved.patient, saved.author, saved.text) == (patient, clinician, last(note).strip())


@examples(30)
@given(
    data=form_data(
        {
            "code_or_email": st.sampled_from(
                ["dana's email", "dana's code", "dana's code typed loosely", "bob's email"]
            ),
            "consent": st.sampled_from(["on", ""]),
            "first_name": st.sampled_from(["Alice", ""]),
            "last_name": st.sampled_from(["Moreau", ""]),
            # A valid date, one in the future, one more than 120 years back.
            "date_of_birth": st.sampled_from(["1980-05-17", "2999-01-01", "1850-01-01"]),
            # None, a valid number (typed with spaces) and one with a wrong check digit.
            "nhs_number": st.sampled_from(["", "943 476 5919", "9434765918"]),
        }
    )
)
@rolled_back
def test_sharing_creates_one_consented_share_with_a_clinician_or_nothing(
    patient: User, patient_client: Client, clinician: User, dana: User, data: dict
) -> None:
    code = approve_clinician(user=dana).display_code
    typed = {
        "dana's email": dana.email,
        "dana's code": code,
        "dana's code typed loosely": f"  {code.lower().replace('-', ' - ')} ",
        "bob's email": clinician.email,
    }
    choice = data.get("code_or_email")
    if isinstance(choice, str) and choice in typed:
        data["code_or_email"] = typed[choice]
    # Each example is a fresh visit: the hourly limit on requests is tested elsewhere.
    cache.clear()
    before = snapshot()

    response = patient_client.post(reverse("clinic:sharing"), data)
    event(f"status {response.status_code}")

    after = snapshot()
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert changed_tables(before, after) == set()
        return
    # The request, and the name and date of birth it carries saved on the account.
    assert changed_tables(before, after) - {"accounts.User"} == {"clinic.Share"}
    [row] = new_rows(before, after, "clinic.Share")
    share = Share.objects.get(pk=row[0])
    assert (share.patient, share.clinician) == (patient, dana)
    assert share.consent_version == CONSENT_VERSION
    assert share.status == Share.Status.PENDING
    patient.refresh_from_db()
    assert patient.first_name == last(data["first_name"]).strip()
    assert patient.last_name == last(data["last_name"]).strip()
    assert patient.date_of_birth == DateOfBirthField().clean(last(data["date_of_birth"]))
    assert patient.nhs_number == NHSNumberField().clean(last(data["nhs_number"]))


@examples(37)
@given(choice=st.one_of(st.sampled_from(["own", "other's"]), path_ids))
@rolled_back
def test_stopping_a_share_stops_only_ones_own(
    patient: User, patient_client: Client, charlie: User, clinician: User, choice: str
) -> None:
    own = Share.objects.get(patient=patient, clinician=clinician)
    others = share(charlie, clinician)
    segment = {"own": str(own.pk), "other's": str(others.pk)}.get(choice, choice)
    before = snapshot()

    response = patient_client.post(path_with("clinic:share_revoke", segment))
    event(f"status {response.status_code}")

    after = snapshot()
    if id_in_path(segment) != own.pk:
        assert response.status_code == 404
        assert changed_tables(before, after) == set()
        return
    assert response.status_code == 302
    assert changed_tables(before, after) == {"clinic.Share"}
    assert [row[0] for row in new_rows(before, after, "clinic.Share")] == [own.pk]
    own.refresh_from_db()
    assert own.status == Share.Status.STOPPED


@examples(30)
@given(
    page=st.sampled_from(["clinic:sharing", "clinic:access_log"]),
    query=st.one_of(
        st.fixed_dictionaries({"page": junk}), st.dictionaries(junk_text, junk, max_size=3)
    ),
)
@rolled_back
def test_the_patients_sharing_pages_ignore_unexpected_parameters(
    patient: User, patient_client: Client, page: str, query: dict
) -> None:
    before = snapshot()

    response = patient_client.get(reverse(page), query)
    event(f"status {response.status_code}")

    assert response.status_code == 200
    assert changed_tables(before, snapshot(), own_status_of=patient.pk) == set()


@examples(15)
@given(data=st.dictionaries(junk_text, junk, max_size=3))
@rolled_back
def test_a_new_share_code_changes_only_the_clinicians_code(
    clinician: User, clinician_client: Client, data: dict
) -> None:
    old_code = clinician_profile(clinician=clinician).share_code
    before = snapshot()

    response = clinician_client.post(reverse("clinic:new_code"), data)
    event(f"status {response.status_code}")

    assert response.status_code == 302
    assert changed_tables(before, snapshot()) == {"clinic.ClinicianProfile"}
    assert clinician_profile(clinician=clinician).share_code != old_code
