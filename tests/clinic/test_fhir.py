"""The clinicians' FHIR export: a valid R4 Bundle of coded data that never names the patient.

fhir.resources has no R4 (4.0.1) models that work with pydantic 2; the R4B (4.3.0) models check
these tests (tests/clinic/fhir_validation.py), and R4B is the same as R4 for Bundle, Patient,
Observation and Flag. The flags come from a patient's assessment through clinic.views.fhir_flags,
worded by the presenter.
"""

import copy
import hashlib
import hmac
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinic.fhir import (
    FLUID_INTAKE_CODE,
    NHS_NUMBER_SYSTEM,
    PAIN_SEVERITY_CODE,
    RED_FLAG_SYSTEM,
    TRACKER_RULE_SYSTEM,
    FhirPatient,
    FlagSummary,
    build_bundle,
    fhir_patient,
    patient_pseudonym,
)
from clinic.views import fhir_flags
from tests.clinic.fhir_validation import validate_bundle
from tests.factories import add_drink, answer_red_flags, check_in, log_episode
from tracker import services
from tracker.assessment import Assessment, Kind, Reason, Urgency
from tracker.exports import export_data
from tracker.models import PatientProfile

GENERATED_AT = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)
KEY = "a-secret-only-the-portal-knows"
# An account from before dates of birth were asked for: no date of birth, no NHS number.
ALICE = FhirPatient(pseudonym=patient_pseudonym(patient_id=7, key=KEY))
NHS_NUMBER = "9434765919"
NOTES = "Told my neighbour Jo Bloggs about it"
ACTIVITY = "Lifting boxes at Acme Ltd"
TRIGGER_OTHER = "Moving house on Elm Street"


def episode(
    pk: int, *, started_at: str, ended_at: str | None, severity: object = 5
) -> dict[str, Any]:
    """Return an episode as export_data writes it, free text included."""
    return {
        "id": pk,
        "started_at": started_at,
        "ended_at": ended_at,
        "started_local": started_at,
        "ended_local": ended_at,
        "severity": severity,
        "activity": ACTIVITY,
        "triggers": ["lifting"],
        "trigger_other": TRIGGER_OTHER,
        "relief": [{"code": "heat", "effect": "helped"}],
        "locations": [{"region": "lower", "side": "left"}],
        "spread": [],
        "notes": NOTES,
        "created_at": started_at,
        "updated_at": started_at,
    }


def make_data(**overrides: Any) -> dict[str, Any]:
    """Return a dictionary shaped like export_data's: two episodes (one ongoing), two drink days."""
    data: dict[str, Any] = {
        "format_version": 1,
        "exported_at": "2025-03-20T10:00:00+00:00",
        "since": None,
        "until": None,
        "profile": {
            "username": "alice",
            "time_zone": "Europe/London",
            "sex": "female",
            "pregnant": False,
            "breastfeeding": False,
            "year_of_birth": 1980,
            "limit_fluids": False,
            "own_target_ml": None,
            "glass_ml": 200,
        },
        "episodes": [
            episode(
                1, started_at="2025-03-02T09:00:00+00:00", ended_at="2025-03-02T11:30:00+00:00"
            ),
            episode(2, started_at="2025-03-05T08:15:00+00:00", ended_at=None, severity=8),
        ],
        "red_flag_answers": [
            {
                "code": "chest_pain",
                "question": "Chest pain as well as the back pain",
                "answered_at": "2025-03-05T08:16:00+00:00",
                "advice_shown_at": "2025-03-05T08:16:01+00:00",
                "episode": 2,
            }
        ],
        "checkins": [
            {"day": "2025-03-03", "worst_severity": 4},
            {"day": "2025-03-04", "worst_severity": 0},
        ],
        "drinks": [
            {
                "id": 1,
                "day": "2025-03-03",
                "amount_ml": 250,
                "logged_at": "2025-03-03T08:00:00+00:00",
            },
            {
                "id": 2,
                "day": "2025-03-03",
                "amount_ml": 300,
                "logged_at": "2025-03-03T12:00:00+00:00",
            },
            {
                "id": 3,
                "day": "2025-03-03",
                "amount_ml": 200,
                "logged_at": "2025-03-03T18:00:00+00:00",
            },
            {
                "id": 4,
                "day": "2025-03-04",
                "amount_ml": 400,
                "logged_at": "2025-03-04T09:00:00+00:00",
            },
        ],
        "hydration_days": [{"day": "2025-03-04", "complete": False}],
        "medicines": [],
    }
    data.update(overrides)
    return data


LONDON = ZoneInfo("Europe/London")
# An assessment as the services store it: an open emergency answer, and a run of 18 days that a
# clinician has already seen.
ASSESSMENT = Assessment(
    urgency=Urgency.EMERGENCY,
    reasons=(
        Reason(
            kind=Kind.RED_FLAG,
            urgency=Urgency.EMERGENCY,
            code="chest_pain",
            at=datetime(2025, 3, 5, 8, 16, tzinfo=UTC),
        ),
        Reason(
            kind=Kind.TWO_WEEK,
            urgency=Urgency.SOON,
            first=date(2025, 3, 2),
            last=date(2025, 3, 19),
            seen=True,
        ),
    ),
    run=None,
    advice=(),
    valid_until=None,
)
FLAGS = fhir_flags(ASSESSMENT, zone=LONDON)


def make_bundle(**overrides: Any) -> dict[str, Any]:
    return build_bundle(
        patient=ALICE, data=make_data(**overrides), flags=FLAGS, generated_at=GENERATED_AT
    )


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == resource_type
    ]


def loinc_codes(observation: dict[str, Any]) -> list[str]:
    return [
        coding["code"]
        for coding in observation["code"]["coding"]
        if coding["system"] == "http://loinc.org"
    ]


def pain_observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in resources(bundle, "Observation") if "valueInteger" in o]


def fluid_observations(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in resources(bundle, "Observation") if "valueQuantity" in o]


def loinc_check_digit(number: str) -> int:
    """Compute LOINC's mod 10 check digit, to catch a mistyped code such as 9000-6."""
    digits = [int(d) for d in reversed(number)]
    doubled = "".join(str(d) for d in digits[0::2])
    # The odd positions, counted from the right, are read as one number and doubled.
    total = sum(int(d) for d in str(int(doubled) * 2)) + sum(digits[1::2])
    return (10 - total % 10) % 10


# Validity


def test_bundle_validates_against_fhir_models() -> None:
    bundle = make_bundle()
    validate_bundle(bundle)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert len(parsed.entry) == len(bundle["entry"])


def test_every_resource_validates_on_its_own() -> None:
    for entry in make_bundle()["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        assert model.model_validate(resource).id == resource["id"]


def test_bundle_is_a_collection_stamped_with_the_generation_time() -> None:
    bundle = make_bundle()
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2025-03-20T10:00:00+00:00"
    assert bundle["id"]


def test_bundle_is_plain_json() -> None:
    bundle = make_bundle()
    assert json.loads(json.dumps(bundle)) == bundle


def test_validation_rejects_a_severity_in_words() -> None:
    bundle = make_bundle()
    tampered = copy.deepcopy(bundle)
    pain_observations(tampered)[0]["valueInteger"] = "eleven"
    validate_bundle(bundle)
    with pytest.raises(ValueError, match="valueInteger"):
        validate_bundle(tampered)


def test_validation_rejects_a_resource_without_its_required_status() -> None:
    bundle = make_bundle()
    del resources(bundle, "Flag")[0]["status"]
    with pytest.raises(ValueError, match="status"):
        validate_bundle(bundle)


def test_validation_rejects_something_that_is_not_a_bundle() -> None:
    patient = resources(make_bundle(), "Patient")[0]
    with pytest.raises(ValueError, match="not a Bundle"):
        validate_bundle(patient)


def test_validation_rejects_a_repeated_full_url() -> None:
    bundle = make_bundle()
    bundle["entry"][2]["fullUrl"] = bundle["entry"][1]["fullUrl"]
    with pytest.raises(ValueError, match="fullUrl repeated"):
        validate_bundle(bundle)


@pytest.mark.parametrize("severity", ["eleven", 11, -1, True, None, 5.0])
def test_build_refuses_a_severity_outside_the_scale(severity: object) -> None:
    data = make_data()
    data["episodes"][0]["severity"] = severity
    with pytest.raises(ValueError, match="severity"):
        build_bundle(patient=ALICE, data=data, flags=[], generated_at=GENERATED_AT)


def test_build_refuses_a_check_in_severity_outside_the_scale() -> None:
    data = make_data(checkins=[{"day": "2025-03-03", "worst_severity": 11}])
    with pytest.raises(ValueError, match="severity"):
        build_bundle(patient=ALICE, data=data, flags=[], generated_at=GENERATED_AT)


def test_build_refuses_a_naive_generation_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        naive = datetime(2025, 3, 20, 10)  # noqa: DTZ001
        build_bundle(patient=ALICE, data=make_data(), flags=[], generated_at=naive)


# Contents


def test_bundle_has_one_resource_per_record() -> None:
    bundle = make_bundle()
    assert len(resources(bundle, "Patient")) == 1
    # Two episodes and two check-ins give four pain scores; drinks on two days give two totals.
    assert len(pain_observations(bundle)) == 4
    assert len(fluid_observations(bundle)) == 2
    assert len(resources(bundle, "Observation")) == 6
    assert len(resources(bundle, "Flag")) == 2
    assert len(bundle["entry"]) == 9


def test_empty_export_holds_only_the_patient() -> None:
    data = make_data(episodes=[], checkins=[], drinks=[], hydration_days=[])
    bundle = build_bundle(patient=ALICE, data=data, flags=[], generated_at=GENERATED_AT)
    validate_bundle(bundle)
    assert [entry["resource"]["resourceType"] for entry in bundle["entry"]] == ["Patient"]


def test_episode_period_runs_from_start_to_end() -> None:
    finished = pain_observations(make_bundle())[0]
    assert finished["effectivePeriod"] == {
        "start": "2025-03-02T09:00:00+00:00",
        "end": "2025-03-02T11:30:00+00:00",
    }
    assert finished["valueInteger"] == 5


def test_ongoing_episode_has_no_end() -> None:
    ongoing = pain_observations(make_bundle())[1]
    assert ongoing["effectivePeriod"] == {"start": "2025-03-05T08:15:00+00:00"}
    assert ongoing["valueInteger"] == 8


def test_pain_observations_carry_loinc_72514_3() -> None:
    observations = pain_observations(make_bundle())
    assert len(observations) == 4
    for observation in observations:
        assert loinc_codes(observation) == ["72514-3"]
        assert observation["status"] == "final"
        assert observation["category"][0]["coding"][0]["code"] == "survey"


def test_check_in_is_a_pain_score_for_the_whole_day() -> None:
    check_ins = [o for o in pain_observations(make_bundle()) if "effectiveDateTime" in o]
    assert [(o["effectiveDateTime"], o["valueInteger"]) for o in check_ins] == [
        ("2025-03-03", 4),
        ("2025-03-04", 0),
    ]


def test_fluid_observation_sums_a_days_drinks() -> None:
    totals = {o["effectiveDateTime"]: o["valueQuantity"] for o in fluid_observations(make_bundle())}
    unit = {"unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}
    assert totals == {
        "2025-03-03": {"value": 750, **unit},
        "2025-03-04": {"value": 400, **unit},
    }


def test_fluid_observation_carries_the_oral_intake_loinc_code() -> None:
    for observation in fluid_observations(make_bundle()):
        assert loinc_codes(observation) == ["8999-5"]


def test_only_a_day_not_fully_logged_carries_a_warning_note() -> None:
    notes = {o["effectiveDateTime"]: "note" in o for o in fluid_observations(make_bundle())}
    # Three entries make 3 March complete; 4 March has one and is not marked complete.
    assert notes == {"2025-03-03": False, "2025-03-04": True}


def test_day_marked_complete_carries_no_warning_note() -> None:
    bundle = make_bundle(hydration_days=[{"day": "2025-03-04", "complete": True}])
    assert not any("note" in o for o in fluid_observations(bundle))


@pytest.mark.parametrize("code", [PAIN_SEVERITY_CODE, FLUID_INTAKE_CODE])
def test_loinc_codes_have_valid_check_digits(code: str) -> None:
    number, check = code.split("-")
    assert loinc_check_digit(number) == int(check)


def test_loinc_check_digit_catches_a_mistyped_code() -> None:
    # 9000-6 and 8999-8 were candidates for fluid intake; neither is a valid LOINC code.
    assert loinc_check_digit("9000") != 6
    assert loinc_check_digit("8999") != 8
    assert loinc_check_digit("72514") == 3


def test_every_resource_refers_to_the_patient_entry() -> None:
    bundle = make_bundle()
    patient_url = bundle["entry"][0]["fullUrl"]
    assert bundle["entry"][0]["resource"]["resourceType"] == "Patient"
    assert patient_url.startswith("urn:uuid:")
    others = [entry["resource"] for entry in bundle["entry"][1:]]
    assert others
    assert all(resource["subject"] == {"reference": patient_url} for resource in others)


def test_full_urls_are_unique_urn_uuids() -> None:
    urls = [entry["fullUrl"] for entry in make_bundle()["entry"]]
    assert all(url.startswith("urn:uuid:") for url in urls)
    assert len(set(urls)) == len(urls)


def test_two_identical_flags_still_get_distinct_ids() -> None:
    twice = [FLAGS[0], FLAGS[0]]
    bundle = build_bundle(patient=ALICE, data=make_data(), flags=twice, generated_at=GENERATED_AT)
    validate_bundle(bundle)
    flag_ids = [flag["id"] for flag in resources(bundle, "Flag")]
    assert len(flag_ids) == 2
    assert flag_ids[0] != flag_ids[1]


def test_red_flag_is_an_active_clinical_flag_with_the_portal_code() -> None:
    red = resources(make_bundle(), "Flag")[0]
    assert red["status"] == "active"
    assert red["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/flag-category",
        "code": "clinical",
        "display": "Clinical",
    }
    assert red["code"] == {
        "coding": [{"system": RED_FLAG_SYSTEM, "code": "chest_pain"}],
        "text": "Chest pain as well as the back pain",
    }
    assert red["period"] == {"start": "2025-03-05"}
    assert "meta" not in red


def test_persistence_flag_keeps_its_reason_and_is_tagged_acknowledged() -> None:
    persistence = resources(make_bundle(), "Flag")[1]
    assert persistence["status"] == "active"
    assert persistence["code"]["text"] == (
        "Back symptoms for more than two weeks: 18 days, from 2 Mar 2025 to 19 Mar 2025"
    )
    assert persistence["code"]["coding"] == [{"system": TRACKER_RULE_SYSTEM, "code": "persistence"}]
    assert persistence["period"] == {"start": "2025-03-02"}
    assert persistence["meta"]["tag"][0]["code"] == "acknowledged"


def test_unknown_flag_code_is_refused() -> None:
    typo = FlagSummary(code="chest_pian", text="Chest pain", start=date(2025, 3, 5))
    with pytest.raises(ValueError, match="chest_pian"):
        build_bundle(patient=ALICE, data=make_data(), flags=[typo], generated_at=GENERATED_AT)


# Privacy


def test_patient_is_a_pseudonym_with_birth_year_only() -> None:
    patient = resources(make_bundle(), "Patient")[0]
    assert patient["id"].startswith("patient-")
    assert patient["id"] != "patient-alice"
    assert patient == {
        "resourceType": "Patient",
        "id": patient["id"],
        "gender": "female",
        "birthDate": "1980",
    }


def test_patient_without_a_profile_has_no_birth_date_or_gender() -> None:
    patient = resources(make_bundle(profile={"username": "alice", "time_zone": "UTC"}), "Patient")
    assert patient[0] == {"resourceType": "Patient", "id": patient[0]["id"]}


def test_patient_carries_the_date_of_birth_and_the_nhs_number_as_an_identifier() -> None:
    known = FhirPatient(
        pseudonym=ALICE.pseudonym, birth_date=date(1980, 5, 17), nhs_number=NHS_NUMBER
    )
    bundle = build_bundle(patient=known, data=make_data(), flags=FLAGS, generated_at=GENERATED_AT)
    validate_bundle(bundle)
    assert resources(bundle, "Patient")[0] == {
        "resourceType": "Patient",
        "id": ALICE.pseudonym,
        "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": NHS_NUMBER}],
        "gender": "female",
        # The full date, not the drinks profile's year of birth.
        "birthDate": "1980-05-17",
    }


def test_patient_without_an_nhs_number_has_no_identifier() -> None:
    known = FhirPatient(pseudonym=ALICE.pseudonym, birth_date=date(1980, 5, 17))
    bundle = build_bundle(patient=known, data=make_data(), flags=FLAGS, generated_at=GENERATED_AT)
    patient = resources(bundle, "Patient")[0]
    assert "identifier" not in patient
    assert patient["birthDate"] == "1980-05-17"
    assert NHS_NUMBER_SYSTEM not in json.dumps(bundle)


def unkeyed(value: object) -> str:
    return hashlib.sha256(str(value).encode()).hexdigest()


def test_the_pseudonym_is_an_hmac_of_the_primary_key_with_the_secret_key() -> None:
    pseudonym = patient_pseudonym(patient_id=7, key=KEY)
    digest = hmac.new(KEY.encode(), b"7", hashlib.sha256).hexdigest()
    assert pseudonym == f"patient-{digest[:16]}"
    # Nobody can rebuild it by hashing a username or an id they guessed.
    for guess in ("alice", 7, "7"):
        assert unkeyed(guess)[:16] not in pseudonym
    assert pseudonym.removeprefix("patient-") not in {unkeyed("alice"), unkeyed(7)}


def test_the_pseudonym_changes_with_the_key_and_is_stable_for_one_key() -> None:
    assert patient_pseudonym(patient_id=7, key=KEY) == patient_pseudonym(patient_id=7, key=KEY)
    assert patient_pseudonym(patient_id=7, key=KEY) != patient_pseudonym(patient_id=7, key="other")
    assert patient_pseudonym(patient_id=7, key=KEY) != patient_pseudonym(patient_id=8, key=KEY)


def test_the_pseudonym_reads_the_key_from_the_settings(settings) -> None:
    settings.PORTAL_FHIR_ID_KEY = KEY
    assert patient_pseudonym(patient_id=7) == patient_pseudonym(patient_id=7, key=KEY)
    settings.PORTAL_FHIR_ID_KEY = "rotated"
    assert patient_pseudonym(patient_id=7) == patient_pseudonym(patient_id=7, key="rotated")
    assert patient_pseudonym(patient_id=7) != patient_pseudonym(patient_id=7, key=KEY)


def test_pseudonym_differs_between_patients() -> None:
    charlie = FhirPatient(pseudonym=patient_pseudonym(patient_id=8, key=KEY))
    bundle = build_bundle(patient=charlie, data=make_data(), flags=FLAGS, generated_at=GENERATED_AT)
    assert resources(make_bundle(), "Patient")[0]["id"] != resources(bundle, "Patient")[0]["id"]


def test_no_username_email_or_free_text_in_bundle() -> None:
    text = json.dumps(make_bundle())
    for private in ("alice", "example.org", NOTES, ACTIVITY, TRIGGER_OTHER, "Jo Bloggs", "Elm"):
        assert private not in text


# Stability


def test_same_input_gives_the_same_bundle() -> None:
    assert make_bundle() == make_bundle()


def test_re_export_later_keeps_every_entry_id() -> None:
    first = make_bundle()
    later = build_bundle(
        patient=ALICE, data=make_data(), flags=FLAGS, generated_at=GENERATED_AT + timedelta(days=1)
    )
    assert first["id"] != later["id"]
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in later["entry"]]
    assert first["entry"] == later["entry"]


# Flags from an assessment


def test_fhir_flags_keep_the_codes_dates_and_words_of_the_reasons() -> None:
    assert FLAGS == [
        FlagSummary(
            code="chest_pain", text="Chest pain as well as the back pain", start=date(2025, 3, 5)
        ),
        FlagSummary(
            code="persistence",
            text="Back symptoms for more than two weeks: 18 days, from 2 Mar 2025 to 19 Mar 2025",
            start=date(2025, 3, 2),
            acknowledged=True,
        ),
    ]


def test_a_red_flag_starts_on_the_patients_local_day() -> None:
    # 20:00 UTC on 5 March is 01:30 on 6 March in Kolkata (UTC+05:30).
    late = Assessment(
        urgency=Urgency.URGENT,
        reasons=(
            Reason(
                kind=Kind.RED_FLAG,
                urgency=Urgency.URGENT,
                code="fever",
                at=datetime(2025, 3, 5, 20, 0, tzinfo=UTC),
            ),
        ),
        run=None,
        advice=(),
        valid_until=None,
    )
    assert [f.start for f in fhir_flags(late, zone=ZoneInfo("Asia/Kolkata"))] == [date(2025, 3, 6)]
    assert [f.start for f in fhir_flags(late, zone=LONDON)] == [date(2025, 3, 5)]


def test_the_companion_prompts_export_with_the_rule_codes() -> None:
    prompts = Assessment(
        urgency=Urgency.SOON,
        reasons=tuple(
            Reason(kind=kind, urgency=Urgency.SOON, first=date(2025, 3, 1), last=date(2025, 3, 8))
            for kind in (Kind.SEVERE_STREAK, Kind.WORSENING)
        ),
        run=None,
        advice=(),
        valid_until=None,
    )
    flags = fhir_flags(prompts, zone=LONDON)
    bundle = build_bundle(patient=ALICE, data=make_data(), flags=flags, generated_at=GENERATED_AT)
    validate_bundle(bundle)
    assert [flag["code"] for flag in resources(bundle, "Flag")] == [
        {
            "coding": [{"system": TRACKER_RULE_SYSTEM, "code": "severe_streak"}],
            "text": "Severe pain on three logged days in a row",
        },
        {
            "coding": [{"system": TRACKER_RULE_SYSTEM, "code": "worsening"}],
            "text": "Pain getting worse",
        },
    ]
    assert {flag["period"]["start"] for flag in resources(bundle, "Flag")} == {"2025-03-01"}


# From the database


def pin(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.mark.django_db
def test_export_data_of_a_real_patient_makes_a_valid_bundle(alice, bob, monkeypatch) -> None:
    PatientProfile.objects.create(user=alice, year_of_birth=1975)
    pin(monkeypatch, datetime(2025, 3, 2, 10, 30, tzinfo=UTC))
    log_episode(
        alice,
        start=datetime(2025, 3, 2, 9, tzinfo=UTC),
        end=datetime(2025, 3, 2, 10, tzinfo=UTC),
        severity=6,
        notes=NOTES,
    )
    pin(monkeypatch, datetime(2025, 3, 3, 20, 0, tzinfo=UTC))
    check_in(alice, day=date(2025, 3, 3), severity=3)
    add_drink(alice, day=date(2025, 3, 3), ml=500)
    add_drink(alice, day=date(2025, 3, 3), ml=250)
    pin(monkeypatch, datetime(2025, 3, 4, 9, 5, tzinfo=UTC))
    log_episode(alice, start=datetime(2025, 3, 4, 9, tzinfo=UTC), severity=7)
    answer_red_flags(alice, "chest_pain")
    pin(monkeypatch, GENERATED_AT)

    assessment = services.status_for(alice, now=GENERATED_AT).assessment
    flags = fhir_flags(assessment, zone=alice.zone)
    bundle = build_bundle(
        patient=fhir_patient(alice),
        data=export_data(patient=alice),
        flags=flags,
        generated_at=GENERATED_AT,
    )

    validate_bundle(bundle)
    assert len(pain_observations(bundle)) == 3
    assert [o["valueQuantity"]["value"] for o in fluid_observations(bundle)] == [750]
    patient = resources(bundle, "Patient")[0]
    # The account's date of birth, not the drinks profile's year; no NHS number given.
    assert patient["birthDate"] == alice.date_of_birth.isoformat()
    assert "identifier" not in patient
    assert patient["id"] == patient_pseudonym(patient_id=alice.pk)
    # The emergency answer, the run from 2 March (an episode, a check-in, then the episode
    # still going on 20 March: 19 days) and severe pain on three days in a row.
    exported = [
        (flag["code"]["coding"][0]["system"], flag["code"]["coding"][0]["code"], flag["period"])
        for flag in resources(bundle, "Flag")
    ]
    assert exported == [
        (RED_FLAG_SYSTEM, "chest_pain", {"start": "2025-03-04"}),
        (TRACKER_RULE_SYSTEM, "persistence", {"start": "2025-03-02"}),
        (TRACKER_RULE_SYSTEM, "severe_streak", {"start": "2025-03-02"}),
    ]
    texts = [flag["code"]["text"] for flag in resources(bundle, "Flag")]
    assert texts[1] == (
        "Back symptoms for more than two weeks: 19 days, from 2 Mar 2025 to 20 Mar 2025"
    )
    assert not any("meta" in flag for flag in resources(bundle, "Flag"))
    text = json.dumps(bundle)
    for private in (alice.username, alice.email, NOTES):
        assert private not in text

    # Once a clinician has seen the run, its flag stays active and is tagged as seen.
    services.acknowledge_run(clinician=bob, patient=alice, now=GENERATED_AT)
    assessment = services.status_for(alice, now=GENERATED_AT).assessment
    seen = build_bundle(
        patient=fhir_patient(alice),
        data=export_data(patient=alice),
        flags=fhir_flags(assessment, zone=alice.zone),
        generated_at=GENERATED_AT,
    )
    validate_bundle(seen)
    persistence = resources(seen, "Flag")[1]
    assert persistence["code"]["coding"][0]["code"] == "persistence"
    assert persistence["status"] == "active"
    assert persistence["meta"]["tag"][0]["code"] == "acknowledged"
