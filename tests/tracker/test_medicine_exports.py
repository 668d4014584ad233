"""Medicine doses in every export: the JSON download, the CSV ZIP and the clinicians' FHIR
bundle (one MedicationStatement per dose, validated against the FHIR models)."""

import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest

from clinic.fhir import UCUM_SYSTEM, build_bundle, fhir_patient
from tests.clinic.fhir_validation import validate_bundle
from tests.clinic.test_fhir import ALICE, FLAGS, GENERATED_AT, make_data, resources
from tests.factories import take_medicine
from tracker.exports import export_csv_zip, export_data, export_json
from tracker.models import Effect

TAKEN = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def dose(pk: int = 1, **overrides: Any) -> dict[str, Any]:
    """Return a dose as export_data writes it."""
    data = {
        "id": pk,
        "name": "Ibuprofen",
        "dose": 400,
        "unit": "mg",
        "taken_at": "2025-03-02T21:00:00+00:00",
        "time_zone": "Europe/London",
        "taken_local": "2025-03-02T21:00:00+00:00",
        "day": "2025-03-02",
        "helped": None,
        "side_effects": "",
        "logged_at": "2025-03-02T21:01:00+00:00",
    }
    data.update(overrides)
    return data


def statements(*doses: dict[str, Any]) -> list[dict[str, Any]]:
    bundle = build_bundle(
        patient=ALICE, data=make_data(medicines=list(doses)), flags=FLAGS, generated_at=GENERATED_AT
    )
    validate_bundle(bundle)
    return resources(bundle, "MedicationStatement")


# JSON and CSV


@pytest.mark.django_db
def test_the_json_export_carries_each_dose_with_its_local_time(alice) -> None:
    alice.time_zone = "Asia/Kolkata"
    alice.save()
    take_medicine(
        alice,
        taken_at=TAKEN,
        dose="2.50",
        unit="tablet",
        helped=Effect.A_BIT_BETTER,
        side_effects="Dry mouth",
    )
    data = json.loads(export_json(patient=alice))
    [exported] = data["medicines"]
    assert {key: exported[key] for key in exported if key not in ("id", "logged_at")} == {
        "name": "Ibuprofen",
        "dose": 2.5,
        "unit": "tablet",
        "taken_at": "2026-03-02T22:30:00+00:00",
        "time_zone": "Asia/Kolkata",
        "taken_local": "2026-03-03T04:00:00+05:30",
        # 04:00 the next morning in India: the local day, not the UTC one.
        "day": "2026-03-03",
        "helped": 1,
        "side_effects": "Dry mouth",
    }


@pytest.mark.django_db
def test_a_whole_dose_exports_as_a_whole_number(alice) -> None:
    take_medicine(alice, taken_at=TAKEN, dose="400.00")
    assert export_data(patient=alice)["medicines"][0]["dose"] == 400
    assert '"dose": 400,' in export_json(patient=alice).decode()


@pytest.mark.django_db
def test_the_export_range_keeps_the_doses_of_its_local_days(alice, charlie) -> None:
    alice.time_zone = "Europe/London"
    alice.save()
    for day in (1, 2, 3):
        take_medicine(alice, name=f"Day {day}", taken_at=datetime(2026, 3, day, 12, tzinfo=UTC))
    take_medicine(charlie, name="Charlie's", taken_at=datetime(2026, 3, 2, 12, tzinfo=UTC))
    data = export_data(patient=alice, since=date(2026, 3, 2), until=date(2026, 3, 2))
    assert [item["name"] for item in data["medicines"]] == ["Day 2"]
    assert [item["name"] for item in export_data(patient=alice)["medicines"]] == [
        "Day 1",
        "Day 2",
        "Day 3",
    ]


@pytest.mark.django_db
def test_the_csv_zip_holds_a_medicines_table_with_formulas_neutralised(alice) -> None:
    take_medicine(
        alice,
        name='=HYPERLINK("http://evil")',
        taken_at=TAKEN,
        unit="mcg",
        helped=Effect.WORSE,
        side_effects="@SUM(1+1) and a rash",
    )
    with zipfile.ZipFile(io.BytesIO(export_csv_zip(patient=alice))) as archive:
        text = archive.read("medicines.csv").decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text)))
    assert header[:4] == ["Dose ID", "Medicine", "Amount", "Unit"]
    cells = dict(zip(header, row, strict=True))
    assert cells["Medicine"] == '\'=HYPERLINK("http://evil")'
    assert cells["Side effects"] == "'@SUM(1+1) and a rash"
    assert (cells["Amount"], cells["Unit"]) == ("400", "micrograms")
    assert cells["Did it help?"] == "Made it worse"
    assert cells["Taken (UTC)"] == "2026-03-02T22:30:00+00:00"


# FHIR


def test_a_dose_is_a_completed_medication_statement_about_the_patient() -> None:
    [statement] = statements(dose())
    assert statement["status"] == "completed"
    assert statement["medicationCodeableConcept"] == {"text": "Ibuprofen"}
    assert statement["effectiveDateTime"] == "2025-03-02T21:00:00+00:00"
    patient_url = next(
        entry["fullUrl"]
        for entry in build_bundle(
            patient=ALICE, data=make_data(), flags=FLAGS, generated_at=GENERATED_AT
        )["entry"]
        if entry["resource"]["resourceType"] == "Patient"
    )
    assert statement["subject"] == {"reference": patient_url}
    assert "note" not in statement


@pytest.mark.parametrize(("unit", "ucum"), [("mg", "mg"), ("g", "g"), ("mcg", "ug"), ("ml", "mL")])
def test_a_measured_dose_carries_its_ucum_code(unit: str, ucum: str) -> None:
    [statement] = statements(dose(unit=unit, dose=2.5))
    quantity = statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]
    assert quantity == {"value": 2.5, "unit": ucum, "system": UCUM_SYSTEM, "code": ucum}


@pytest.mark.parametrize(("unit", "text"), [("tablet", "tablet(s)"), ("patch", "patch(es)")])
def test_a_counted_dose_carries_its_unit_as_text_only(unit: str, text: str) -> None:
    [statement] = statements(dose(unit=unit, dose=2))
    quantity = statement["dosage"][0]["doseAndRate"][0]["doseQuantity"]
    assert quantity == {"value": 2, "unit": text}


def test_whether_it_helped_and_the_side_effects_are_notes() -> None:
    [statement] = statements(dose(helped=Effect.MUCH_BETTER, side_effects="Felt sick"))
    assert [note["text"] for note in statement["note"]] == [
        "Did it help (the patient's answer): Much better",
        "Side effects (the patient's words): Felt sick",
    ]


def test_each_dose_gets_its_own_stable_statement() -> None:
    first = statements(dose(1), dose(2, name="Paracetamol"))
    again = statements(dose(1), dose(2, name="Paracetamol"))
    assert [s["id"] for s in first] == [s["id"] for s in again]
    assert len({s["id"] for s in first}) == 2
    assert [s["medicationCodeableConcept"]["text"] for s in first] == ["Ibuprofen", "Paracetamol"]


def test_a_statement_without_its_medication_does_not_validate() -> None:
    bundle = build_bundle(
        patient=ALICE, data=make_data(medicines=[dose()]), flags=FLAGS, generated_at=GENERATED_AT
    )
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "MedicationStatement":
            del entry["resource"]["medicationCodeableConcept"]
    with pytest.raises(ValueError, match="medication"):
        validate_bundle(bundle)


@pytest.mark.django_db
def test_a_real_patients_doses_make_a_valid_bundle(alice) -> None:
    take_medicine(alice, taken_at=TAKEN, helped=Effect.NO_CHANGE, side_effects="None")
    take_medicine(alice, name="Co-codamol", dose="2", unit="tablet", taken_at=TAKEN)
    bundle = build_bundle(
        patient=fhir_patient(alice),
        data=export_data(patient=alice),
        flags=[],
        generated_at=GENERATED_AT,
    )
    validate_bundle(bundle)
    assert len(resources(bundle, "MedicationStatement")) == 2
