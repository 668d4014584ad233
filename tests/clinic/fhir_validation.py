"""Check a FHIR export against the FHIR models: for tests only, so the portal never loads them.

fhir.resources (a development requirement) ships no R4 (4.0.1) models in its releases that work
with pydantic 2, so this checks against R4B (4.3.0), which is the same as R4 for Bundle, Patient,
Observation and Flag. It checks structure and types, not terminology (LOINC codes are not looked
up), and not value ranges: a pain score of 11 is a valid FHIR integer. The models also accept "3"
or true for an integer, so clinic.fhir.build_bundle checks severities itself.
"""

from collections import Counter
from typing import Any

from fhir.resources.R4B.bundle import Bundle


def validate_bundle(bundle: dict[str, Any]) -> None:
    """Raise ValueError unless bundle parses as a FHIR Bundle, resources included."""
    if bundle.get("resourceType") != "Bundle":
        raise ValueError(f"not a Bundle: resourceType is {bundle.get('resourceType')!r}")
    # pydantic's ValidationError is a ValueError, so callers need catch only one thing.
    Bundle.model_validate(bundle)
    # FHIR's invariant bdl-7 (fullUrl unique within a bundle), which the models do not check.
    full_urls = Counter(entry.get("fullUrl") for entry in bundle.get("entry", []))
    repeated = sorted(url for url, count in full_urls.items() if url is not None and count > 1)
    if repeated:
        raise ValueError(f"fullUrl repeated in the bundle: {repeated}")
