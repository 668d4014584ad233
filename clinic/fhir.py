"""A patient's records as a FHIR R4 (4.0.1) Bundle, for clinicians' own systems.

The input is `tracker.exports.export_data`'s dictionary, so this export and the patient's own
download cannot disagree about which records exist. The bundle carries coded, numeric data only:
the patient's free text (episode notes, "what you were doing", "other trigger") stays out,
because it can hold anything, including other people's names, and a clinician reads it in the
portal where the patient wrote it. The one exception is a medicine dose: its name and side
effects are text (see _medication_statement). The Patient has no name, username or e-mail: a
keyed pseudonym for an id, and the date of birth and NHS number, so that the receiving system can
match the record to the right person.
"""

import datetime
import hashlib
import hmac
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import User
from tracker.models import DoseUnit, Effect
from tracker.rules import RED_FLAGS_BY_CODE, SEVERITY_MAX, SEVERITY_MIN, is_complete_day

PORTAL_FHIR_BASE = "https://backcramp.example/fhir"
RED_FLAG_SYSTEM = f"{PORTAL_FHIR_BASE}/CodeSystem/red-flag"
TRACKER_RULE_SYSTEM = f"{PORTAL_FHIR_BASE}/CodeSystem/tracker-rule"
FLAG_STATE_SYSTEM = f"{PORTAL_FHIR_BASE}/CodeSystem/flag-state"
LOINC_SYSTEM = "http://loinc.org"
UCUM_SYSTEM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/flag-category"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"

PAIN_SEVERITY_CODE = "72514-3"
PAIN_SEVERITY_DISPLAY = "Pain severity - 0-10 verbal numeric rating [Score] - Reported"
# LOINC has "Fluid intake oral Estimated" (8999-5) and "... Measured" (9000-1). Drinks logged by
# the patient, often as "a glass", are estimates, so 8999-5 fits; the text says what was summed.
FLUID_INTAKE_CODE = "8999-5"
FLUID_INTAKE_DISPLAY = "Fluid intake oral Estimated"

DOSE_UNIT_LABELS = dict(DoseUnit.choices)
EFFECT_LABELS = dict(Effect.choices)

# The weekly PEG (tracker.scores) as a QuestionnaireResponse and an Observation of its score.
# LOINC codes, checked with the project's search tools (code corpus, searches "PEG 3 item pain
# scale LOINC", "91148-7", "75893-8", "91145-3"): two independent public scripts built from
# LOINC's own PEG form (https://fhir.loinc.org/Questionnaire/?url=http://loinc.org/q/91148-7)
# give the panel 91148-7 "Pain intensity, Enjoyment of life, General activity scale [PEG]", its
# items 75893-8 (pain on average in the past week), 91145-3 (how pain interfered with enjoyment
# of life) and 91146-1 (with general activity), and the score 91147-9 "Mean score [PEG]"; a
# synthetic patient record elsewhere shows 75893-8 as "What number best describes your pain on
# average in the past week?". loinc.org itself could not be read from here, so the displays are
# as those sources give them.
PEG_PANEL_CODE = "91148-7"
PEG_SCORE_CODE = "91147-9"
PEG_SCORE_DISPLAY = "Mean score [PEG]"
# (export field, LOINC code and linkId, the portal's short text for it)
PEG_ITEMS = (
    ("pain", "75893-8", "Pain on average in the past week"),
    ("enjoyment", "91145-3", "Pain interference with enjoyment of life in the past week"),
    ("activity", "91146-1", "Pain interference with general activity in the past week"),
)
# The portal's own Questionnaire, not LOINC's form (http://loinc.org/q/91148-7): the portal asks
# the PEG's three questions in its own words, and a response's linkIds must be those of the
# questionnaire it answers. Its items' linkIds are the LOINC item codes above, and its code is
# the panel 91148-7, so a receiving system can map each answer without fetching it.
PEG_QUESTIONNAIRE = f"{PORTAL_FHIR_BASE}/Questionnaire/peg-weekly"

# The tracker's own prompts (CLINICAL.md 3.1); every other flag code must be a red-flag code.
RULE_FLAG_CODES = ("persistence", "severe_streak", "worsening")

# Fixed, so that a record gets the same urn:uuid in every export and a receiving system can
# recognise it again.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PORTAL_FHIR_BASE)
PSEUDONYM_HEX_CHARS = 16

Resource = dict[str, Any]


@dataclass(frozen=True)
class FlagSummary:
    """Describe one raised flag, to be exported as a FHIR Flag."""

    # "persistence", "severe_streak", "worsening", or a red-flag code such as "chest_pain".
    code: str
    # Plain-English reason, e.g. "Symptoms for 18 days since 2 Mar".
    text: str
    # The local date the flag's period started.
    start: datetime.date
    acknowledged: bool = False


@dataclass(frozen=True)
class FhirPatient:
    """Say who a bundle is about: a pseudonym for its id, and how clinicians recognise them."""

    pseudonym: str
    birth_date: datetime.date | None = None
    # Ten digits, no spaces, or "" when the patient gave none.
    nhs_number: str = ""


def patient_pseudonym(*, patient_id: int, key: str | None = None) -> str:
    """Return the stable id the bundle uses for a patient: a keyed hash of their primary key.

    An unkeyed hash of a username or an id can be reversed by hashing guesses; without the key
    (settings.PORTAL_FHIR_ID_KEY) nobody can go from a person to their pseudonym or back. The
    same key gives the same id in every export, so a receiving system recognises the patient.
    """
    secret = settings.PORTAL_FHIR_ID_KEY if key is None else key
    digest = hmac.new(secret.encode(), str(patient_id).encode(), hashlib.sha256).hexdigest()
    return f"patient-{digest[:PSEUDONYM_HEX_CHARS]}"


def fhir_patient(patient: User) -> FhirPatient:
    """Return what the bundle says about who the patient is."""
    return FhirPatient(
        pseudonym=patient_pseudonym(patient_id=patient.pk),
        birth_date=patient.date_of_birth,
        nhs_number=patient.nhs_number,
    )


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(str(part) for part in parts)))


def _severity(value: object, *, what: str) -> int:
    # bool is an int in Python, and True would otherwise export as a pain score of 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what}: severity must be an integer, got {value!r}")
    if not SEVERITY_MIN <= value <= SEVERITY_MAX:
        raise ValueError(f"{what}: severity must be {SEVERITY_MIN}-{SEVERITY_MAX}, got {value}")
    return value


def _entry(resource: Resource) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _patient(*, identity: FhirPatient, profile: dict[str, Any]) -> Resource:
    patient: Resource = {"resourceType": "Patient", "id": identity.pseudonym}
    if identity.nhs_number:
        patient["identifier"] = [{"system": NHS_NUMBER_SYSTEM, "value": identity.nhs_number}]
    # The portal asks for sex to set drinks targets; FHIR only has administrative gender, which
    # is the nearest fit. Not stated stays absent rather than becoming "unknown".
    sex = profile.get("sex")
    if sex in ("female", "male"):
        patient["gender"] = sex
    year = profile.get("year_of_birth")
    if identity.birth_date is not None:
        patient["birthDate"] = identity.birth_date.isoformat()
    elif year is not None:
        # Accounts from before dates of birth were asked for: FHIR's date allows a bare year,
        # which the drinks profile holds.
        patient["birthDate"] = f"{year:04d}"
    return patient


def _pain_code() -> dict[str, Any]:
    return {
        "coding": [
            {"system": LOINC_SYSTEM, "code": PAIN_SEVERITY_CODE, "display": PAIN_SEVERITY_DISPLAY}
        ],
        "text": _("Back pain, 0 (none) to 10 (worst)"),
    }


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY_SYSTEM, "code": code, "display": display}]}]


def _episode_observation(*, episode: dict[str, Any], pseudonym: str, subject: str) -> Resource:
    period = {"start": episode["started_at"]}
    # An ongoing episode has no end yet; FHIR reads a period without an end as still going on.
    if episode["ended_at"] is not None:
        period["end"] = episode["ended_at"]
    return {
        "resourceType": "Observation",
        "id": _uuid(pseudonym, "episode", episode["id"]),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": _pain_code(),
        "subject": {"reference": subject},
        "effectivePeriod": period,
        "valueInteger": _severity(episode["severity"], what=f"episode {episode['id']}"),
    }


def _checkin_observation(*, checkin: dict[str, Any], pseudonym: str, subject: str) -> Resource:
    return {
        "resourceType": "Observation",
        "id": _uuid(pseudonym, "checkin", checkin["day"]),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": _pain_code(),
        "subject": {"reference": subject},
        # A check-in is about a whole local day, so the date alone is the honest precision.
        "effectiveDateTime": checkin["day"],
        "valueInteger": _severity(checkin["worst_severity"], what=f"check-in {checkin['day']}"),
    }


def _fluid_observations(*, data: dict[str, Any], pseudonym: str, subject: str) -> list[Resource]:
    totals: dict[str, int] = defaultdict(int)
    entries: Counter[str] = Counter()
    for drink in data["drinks"]:
        totals[drink["day"]] += drink["amount_ml"]
        entries[drink["day"]] += 1
    marked = {day["day"]: day["complete"] for day in data["hydration_days"]}
    observations = []
    for day in sorted(totals):
        observation: Resource = {
            "resourceType": "Observation",
            "id": _uuid(pseudonym, "fluid", day),
            "status": "final",
            "category": _category("survey", "Survey"),
            "code": {
                "coding": [
                    {
                        "system": LOINC_SYSTEM,
                        "code": FLUID_INTAKE_CODE,
                        "display": FLUID_INTAKE_DISPLAY,
                    }
                ],
                "text": _("Drinks logged by the patient that day, in total"),
            },
            "subject": {"reference": subject},
            "effectiveDateTime": day,
            "valueQuantity": {
                "value": totals[day],
                "unit": "mL",
                "system": UCUM_SYSTEM,
                "code": "mL",
            },
        }
        if not is_complete_day(marked_complete=marked.get(day, False), entry_count=entries[day]):
            # The tracker itself ignores such days when comparing with targets (CLINICAL.md 3.3);
            # without this a clinician could read a half-logged day as a low one.
            observation["note"] = [
                {"text": _("Not every drink may have been logged: the total may be too low.")}
            ]
        observations.append(observation)
    return observations


# The dose units that UCUM codes; the others (tablets, sachets, patches...) travel as text only.
UCUM_DOSE_UNITS = {"mg": "mg", "g": "g", "mcg": "ug", "ml": "mL"}
MEDICATION_STATEMENT_STATUS = "completed"  # R4: the dose was taken; R5's "recorded" is not R4


def _dose_quantity(dose: dict[str, Any]) -> dict[str, Any]:
    code = UCUM_DOSE_UNITS.get(dose["unit"])
    if code is None:
        return {
            "value": dose["dose"],
            "unit": str(DOSE_UNIT_LABELS.get(dose["unit"], dose["unit"])),
        }
    return {"value": dose["dose"], "unit": code, "system": UCUM_SYSTEM, "code": code}


def _medication_statement(*, dose: dict[str, Any], pseudonym: str, subject: str) -> Resource:
    """A dose the patient logged, as a FHIR R4 MedicationStatement (the same shape in R4B).

    The medicine's name and the side effects are the patient's own words, the exception to this
    module's coded-only rule: a statement needs a medication, which the portal holds as text
    only, and side effects are what a clinician needs to see beside it.
    """
    statement: Resource = {
        "resourceType": "MedicationStatement",
        "id": _uuid(pseudonym, "medicine", dose["id"]),
        "status": MEDICATION_STATEMENT_STATUS,
        "medicationCodeableConcept": {"text": dose["name"]},
        "subject": {"reference": subject},
        "effectiveDateTime": dose["taken_at"],
        "dateAsserted": dose["logged_at"],
        "informationSource": {"reference": subject},
        "dosage": [{"doseAndRate": [{"doseQuantity": _dose_quantity(dose)}]}],
    }
    notes = []
    if dose["helped"] is not None:
        notes.append(
            _("Did it help (the patient's answer): %(answer)s")
            % {"answer": EFFECT_LABELS.get(dose["helped"], "")}
        )
    if dose["side_effects"]:
        notes.append(
            _("Side effects (the patient's words): %(text)s") % {"text": dose["side_effects"]}
        )
    if notes:
        statement["note"] = [{"text": text} for text in notes]
    return statement


def _peg_item(value: object, *, what: str) -> int:
    # Like _severity: the models would accept "3" or true for an integer.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"{what}: a PEG answer must be an integer 0-10, got {value!r}")
    return value


def _function_score_resources(
    *, score: dict[str, Any], pseudonym: str, subject: str
) -> list[Resource]:
    """A week's PEG answers as a QuestionnaireResponse, and its score as an Observation derived
    from it.

    R4 Observation has no valueDecimal (its value[x] types are those of the value set
    http://hl7.org/fhir/R4/valueset-permitted-data-type.html: Quantity, CodeableConcept, string,
    boolean, integer, Range, Ratio, SampledData, time, dateTime, Period), so a score with a
    decimal place is a Quantity in UCUM's unitless "{score}".
    """
    what = f"PEG of the week of {score['week']}"
    answers = {field: _peg_item(score[field], what=what) for field, _code, _text in PEG_ITEMS}
    response_id = _uuid(pseudonym, "peg", score["week"])
    response: Resource = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": PEG_QUESTIONNAIRE,
        "status": "completed",
        "subject": {"reference": subject},
        "authored": score["answered_at"],
        "source": {"reference": subject},
        "item": [
            {"linkId": code, "text": text, "answer": [{"valueInteger": answers[field]}]}
            for field, code, text in PEG_ITEMS
        ],
    }
    observation: Resource = {
        "resourceType": "Observation",
        "id": _uuid(pseudonym, "peg-score", score["week"]),
        "status": "final",
        "category": _category("survey", "Survey"),
        "code": {
            "coding": [
                {"system": LOINC_SYSTEM, "code": PEG_SCORE_CODE, "display": PEG_SCORE_DISPLAY}
            ],
            "text": _("Weekly PEG score: mean of three answers, 0 to 10 (lower is better)"),
        },
        "subject": {"reference": subject},
        # The answers are about the seven days before; the local day they were given on dates
        # them, as for a check-in.
        "effectiveDateTime": score["day"],
        "valueQuantity": {
            "value": round(sum(answers.values()) / len(answers), 1),
            "unit": "{score}",
            "system": UCUM_SYSTEM,
            "code": "{score}",
        },
        "derivedFrom": [{"reference": f"urn:uuid:{response_id}"}],
        "component": [
            {
                "code": {"coding": [{"system": LOINC_SYSTEM, "code": code}], "text": text},
                "valueInteger": answers[field],
            }
            for field, code, text in PEG_ITEMS
        ],
    }
    return [response, observation]


def _flag_code(flag: FlagSummary) -> dict[str, Any]:
    if flag.code in RED_FLAGS_BY_CODE:
        system = RED_FLAG_SYSTEM
    elif flag.code in RULE_FLAG_CODES:
        system = TRACKER_RULE_SYSTEM
    else:
        # A typo here would send a clinician a flag nobody can look up, so fail loudly.
        raise ValueError(f"unknown flag code: {flag.code!r}")
    return {"coding": [{"system": system, "code": flag.code}], "text": flag.text}


def _flags(*, flags: list[FlagSummary], pseudonym: str, subject: str) -> list[Resource]:
    # Two identical flags (the same red flag answered twice on one day) still need distinct ids.
    seen: Counter[tuple[str, datetime.date]] = Counter()
    resources = []
    for flag in flags:
        key = (flag.code, flag.start)
        seen[key] += 1
        resource: Resource = {
            "resourceType": "Flag",
            "id": _uuid(pseudonym, "flag", flag.code, flag.start.isoformat(), seen[key]),
            "status": "active",
            "category": [
                {
                    "coding": [
                        {"system": FLAG_CATEGORY_SYSTEM, "code": "clinical", "display": "Clinical"}
                    ]
                }
            ],
            "code": _flag_code(flag),
            "subject": {"reference": subject},
            "period": {"start": flag.start.isoformat()},
        }
        if flag.acknowledged:
            # R4 Flag has no "seen by a clinician" element; a tag is FHIR's place for workflow
            # marks that do not change what the resource means. The flag stays active.
            resource["meta"] = {"tag": [{"system": FLAG_STATE_SYSTEM, "code": "acknowledged"}]}
        resources.append(resource)
    return resources


def build_bundle(
    *,
    data: dict[str, Any],
    patient: FhirPatient,
    flags: list[FlagSummary],
    generated_at: datetime.datetime,
) -> dict[str, Any]:
    """Build a FHIR R4 collection Bundle from export_data's dictionary and the raised flags.

    The result is plain JSON-ready data: one Patient (a pseudonym with the date of birth and NHS
    number, no name, username or e-mail), a pain
    Observation per episode and per check-in (LOINC 72514-3), a fluid-intake Observation per
    day with drinks, a MedicationStatement per medicine dose, a QuestionnaireResponse and an
    Observation of its score per weekly PEG, and a Flag per raised flag. The same input always
    gives the same output, ids included. Red-flag answers travel only as the flags the caller
    passes in.
    """
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError(f"generated_at must be an aware datetime, got {generated_at!r}")
    pseudonym = patient.pseudonym
    patient_resource = _patient(identity=patient, profile=data["profile"])
    patient_uuid = _uuid(pseudonym, "patient")
    subject = f"urn:uuid:{patient_uuid}"

    resources = [
        *(
            _episode_observation(episode=episode, pseudonym=pseudonym, subject=subject)
            for episode in data["episodes"]
        ),
        *(
            _checkin_observation(checkin=checkin, pseudonym=pseudonym, subject=subject)
            for checkin in data["checkins"]
        ),
        *_fluid_observations(data=data, pseudonym=pseudonym, subject=subject),
        *(
            resource
            # .get: a dictionary from before the weekly score has none.
            for score in data.get("function_scores", [])
            for resource in _function_score_resources(
                score=score, pseudonym=pseudonym, subject=subject
            )
        ),
        *(
            _medication_statement(dose=dose, pseudonym=pseudonym, subject=subject)
            for dose in data["medicines"]
        ),
        *_flags(flags=flags, pseudonym=pseudonym, subject=subject),
    ]
    timestamp = generated_at.astimezone(datetime.UTC)
    return {
        "resourceType": "Bundle",
        "id": _uuid(pseudonym, "bundle", timestamp.isoformat()),
        "type": "collection",
        "timestamp": timestamp.isoformat(),
        # The Patient's id is the pseudonym; its fullUrl is a urn:uuid like every other entry's,
        # as references inside a bundle that is not on a server must be.
        "entry": [
            {"fullUrl": subject, "resource": patient_resource},
            *(_entry(resource) for resource in resources),
        ],
    }
