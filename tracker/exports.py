"""A patient's "download everything" export, as JSON or as a ZIP of CSV files.

Both formats are built from one dictionary (`export_data`), so they cannot disagree about which
records are in the export. JSON keeps the stored codes and the patient's own text untouched;
the CSV files show the human labels and neutralise text a spreadsheet would run as a formula.
"""

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tracker import presenter, services
from tracker.assessment import Kind
from tracker.dashboard import episodes_overlapping
from tracker.dates import day_start, local_day, zone_or_utc
from tracker.models import (
    CheckIn,
    DoseUnit,
    Drink,
    Effect,
    Episode,
    EpisodeLocation,
    EpisodeSpread,
    EpisodeTrigger,
    FunctionScore,
    HydrationDay,
    MedicineDose,
    PatientProfile,
    RedFlagAnswer,
    Region,
    Relief,
    ReliefTried,
    Sex,
    Side,
    Spread,
    Trigger,
)
from tracker.rules import RED_FLAGS_BY_CODE

FORMAT_VERSION = 1
# A spreadsheet treats a cell starting with one of these as a formula (OWASP "CSV injection").
# The semicolon too: where it is the list separator (many European locales) a spreadsheet may
# split a cell at it and read what follows as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", ";")
CSV_ENCODING = "utf-8-sig"
LIST_SEPARATOR = "; "

Row = list[object]
Table = tuple[list[str], list[Row]]


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _local(value: datetime | None, zone: ZoneInfo) -> str | None:
    return None if value is None else value.astimezone(zone).isoformat()


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _episodes(
    *, patient: User, since: date | None, until: date | None, today: date
) -> list[Episode]:
    """Return the patient's episodes overlapping the local days, children prefetched."""
    episodes = episodes_overlapping(patient=patient, since=since, until=until, today=today)
    return list(
        episodes.order_by("started_at", "id").prefetch_related(
            # Ordered by id so that the export lists them in the order the patient entered them.
            Prefetch("triggers", queryset=EpisodeTrigger.objects.order_by("id")),
            Prefetch("relief", queryset=ReliefTried.objects.order_by("id")),
            Prefetch("locations", queryset=EpisodeLocation.objects.order_by("id")),
            Prefetch("spread", queryset=EpisodeSpread.objects.order_by("id")),
        )
    )


def _episode_data(episode: Episode) -> dict[str, Any]:
    # Local times and days in the zone the episode was recorded in, which dated it.
    zone = episode.zone
    return {
        "id": episode.pk,
        "started_at": _utc(episode.started_at),
        "ended_at": _utc(episode.ended_at),
        "time_zone": episode.time_zone,
        "started_local": _local(episode.started_at, zone),
        "ended_local": _local(episode.ended_at, zone),
        "first_day": _day(episode.start_day),
        "last_day": _day(episode.end_day),
        "severity": episode.severity,
        "activity": episode.activity,
        "triggers": [trigger.code for trigger in episode.triggers.all()],
        "trigger_other": episode.trigger_other,
        "relief": [{"code": tried.code, "effect": tried.effect} for tried in episode.relief.all()],
        "locations": [
            {"region": location.region, "side": location.side}
            for location in episode.locations.all()
        ],
        "spread": [spread.code for spread in episode.spread.all()],
        "notes": episode.notes,
        "created_at": _utc(episode.created_at),
        "updated_at": _utc(episode.updated_at),
    }


def _dose_data(dose: MedicineDose) -> dict[str, Any]:
    # A JSON number: doses have at most two decimal places, which a float's shortest form
    # (what json writes) keeps exactly, so 2.5 stays 2.5 and 400.00 becomes 400.
    amount = dose.dose
    return {
        "id": dose.pk,
        "name": dose.name,
        "dose": int(amount) if amount == amount.to_integral_value() else float(amount),
        "unit": dose.unit,
        "taken_at": _utc(dose.taken_at),
        "time_zone": dose.time_zone,
        "taken_local": _local(dose.taken_at, zone_or_utc(dose.time_zone)),
        "day": _day(dose.day),
        "helped": dose.helped,
        "side_effects": dose.side_effects,
        "logged_at": _utc(dose.logged_at),
    }


def _profile_data(*, patient: User, profile: PatientProfile | None) -> dict[str, Any]:
    data: dict[str, Any] = {"username": patient.get_username(), "time_zone": patient.time_zone}
    if profile is not None:
        data.update(
            sex=profile.sex,
            pregnant=profile.pregnant,
            breastfeeding=profile.breastfeeding,
            year_of_birth=profile.year_of_birth,
            limit_fluids=profile.limit_fluids,
            own_target_ml=profile.own_target_ml,
            glass_ml=profile.glass_ml,
        )
    return data


def export_data(
    *, patient: User, since: date | None = None, until: date | None = None
) -> dict[str, Any]:
    """Collect one patient's records as JSON-ready values, optionally for local days only.

    `since` and `until` are inclusive calendar dates in the patient's time zone; None leaves
    that end open. The number of queries does not depend on the number of records.
    """
    if since is not None and until is not None and since > until:
        raise ValueError(f"since ({since}) is after until ({until})")
    now = timezone.now()
    zone = patient.zone
    answered = Q()
    if since is not None:
        answered &= Q(answered_at__gte=day_start(since, zone))
    if until is not None:
        # The next local midnight, not until + 24 hours: a DST day is 23 or 25 hours long.
        answered &= Q(answered_at__lt=day_start(until + timedelta(days=1), zone))
    on_day = Q()
    if since is not None:
        on_day &= Q(day__gte=since)
    if until is not None:
        on_day &= Q(day__lte=until)

    profile = PatientProfile.objects.filter(user=patient).first()
    episodes = _episodes(patient=patient, since=since, until=until, today=local_day(now, zone))
    answers = RedFlagAnswer.objects.filter(answered, patient=patient).order_by("answered_at", "id")
    checkins = CheckIn.objects.filter(on_day, patient=patient).order_by("day")
    drinks = Drink.objects.filter(on_day, patient=patient).order_by("day", "logged_at", "id")
    hydration_days = HydrationDay.objects.filter(on_day, patient=patient).order_by("day")
    # The weekly PEG, by the local day it was answered on (tracker.scores).
    function_scores = FunctionScore.objects.filter(on_day, patient=patient).order_by("week")
    doses = MedicineDose.objects.filter(on_day, patient=patient).order_by("taken_at", "id")

    assessment = services.status_for(patient, now=now).assessment
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": _utc(now),
        "since": _day(since),
        "until": _day(until),
        "profile": _profile_data(patient=patient, profile=profile),
        "episodes": [_episode_data(episode) for episode in episodes],
        "red_flag_answers": [
            {
                "code": answer.code,
                "question": str(RED_FLAGS_BY_CODE[answer.code].text),
                "answered_at": _utc(answer.answered_at),
                "advice_shown_at": _utc(answer.advice_shown_at),
                "episode": answer.episode_id,
            }
            for answer in answers
        ],
        "checkins": [
            {
                "day": _day(checkin.day),
                "time_zone": checkin.time_zone,
                "worst_severity": checkin.worst_severity,
            }
            for checkin in checkins
        ],
        "drinks": [
            {
                "id": drink.pk,
                "day": _day(drink.day),
                "time_zone": drink.time_zone,
                "amount_ml": drink.amount_ml,
                "logged_at": _utc(drink.logged_at),
            }
            for drink in drinks
        ],
        "hydration_days": [
            {"day": _day(hydration.day), "complete": hydration.complete}
            for hydration in hydration_days
        ],
        "function_scores": [
            {
                "week": _day(score.week),
                "day": _day(score.day),
                "time_zone": score.time_zone,
                "pain": score.pain,
                "enjoyment": score.enjoyment,
                "activity": score.activity,
                "score": score.score,
                "answered_at": _utc(score.answered_at),
            }
            for score in function_scores
        ],
        "medicines": [_dose_data(dose) for dose in doses],
        # What the portal concludes from the log now, whatever the range: the stored
        # assessment, in the presenter's words.
        "flags_now": [
            {
                "kind": str(reason.kind),
                "code": reason.code,
                "urgency": reason.urgency.name.lower(),
                "text": presenter.fhir_text(reason),
                "first_day": _day(reason.first),
                "last_day": _day(reason.last),
                "answered_at": _utc(reason.at),
                "answers": reason.count if reason.kind == Kind.RED_FLAG else None,
                "seen_by_a_clinician": reason.seen,
            }
            for reason in assessment.reasons
        ],
    }


def export_json(*, patient: User, since: date | None = None, until: date | None = None) -> bytes:
    """Render the patient's export as indented UTF-8 JSON."""
    data = export_data(patient=patient, since=since, until=until)
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def csv_safe(value: object) -> object:
    """Return a cell value a spreadsheet will show as text rather than run as a formula.

    Text whose first character, or first character after leading whitespace, starts a formula
    gets a leading apostrophe, as OWASP advises. Some spreadsheets trim leading whitespace on
    import, so " =1+1" is as dangerous as "=1+1". Anything that is not text is returned
    unchanged: a negative number is data, not a formula.
    """
    if not isinstance(value, str):
        return value
    # A tab or carriage return is itself a trigger, so test before stripping whitespace too.
    if value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _joined(labels: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(str(label) for label in labels)


def _relief_label(tried: dict[str, Any]) -> str:
    relief = str(Relief(tried["code"]).label)
    if tried["effect"] is None:
        return relief
    return _("%(relief)s: %(effect)s") % {"relief": relief, "effect": Effect(tried["effect"]).label}


def _episodes_table(episodes: list[dict[str, Any]]) -> Table:
    header = [
        _("Episode ID"),
        _("Started (UTC)"),
        _("Ended (UTC)"),
        _("Time zone"),
        _("Started (local time)"),
        _("Ended (local time)"),
        _("First day"),
        _("Last day"),
        _("Severity (0 to 10)"),
        _("What you were doing"),
        _("Triggers"),
        _("Other trigger"),
        _("Relief tried"),
        _("Where"),
        _("Spreading to"),
        _("Notes"),
        _("Logged (UTC)"),
        _("Last changed (UTC)"),
    ]
    rows: list[Row] = [
        [
            episode["id"],
            episode["started_at"],
            episode["ended_at"],
            episode["time_zone"],
            episode["started_local"],
            episode["ended_local"],
            episode["first_day"],
            episode["last_day"],
            episode["severity"],
            episode["activity"],
            _joined(Trigger(code).label for code in episode["triggers"]),
            episode["trigger_other"],
            _joined(_relief_label(tried) for tried in episode["relief"]),
            _joined(
                f"{Region(location['region']).label}, {Side(location['side']).label}"
                for location in episode["locations"]
            ),
            _joined(Spread(code).label for code in episode["spread"]),
            episode["notes"],
            episode["created_at"],
            episode["updated_at"],
        ]
        for episode in episodes
    ]
    return header, rows


def _red_flag_answers_table(answers: list[dict[str, Any]]) -> Table:
    header = [
        _("Question"),
        _("Code"),
        _("Answered (UTC)"),
        _("Advice shown (UTC)"),
        _("Episode ID"),
    ]
    rows: list[Row] = [
        [
            answer["question"],
            answer["code"],
            answer["answered_at"],
            answer["advice_shown_at"],
            answer["episode"],
        ]
        for answer in answers
    ]
    return header, rows


def _checkins_table(checkins: list[dict[str, Any]]) -> Table:
    header = [_("Day"), _("Worst pain (0 to 10)")]
    return header, [[checkin["day"], checkin["worst_severity"]] for checkin in checkins]


def _drinks_table(drinks: list[dict[str, Any]]) -> Table:
    header = [_("Drink ID"), _("Day"), _("Amount (ml)"), _("Logged (UTC)")]
    rows: list[Row] = [
        [drink["id"], drink["day"], drink["amount_ml"], drink["logged_at"]] for drink in drinks
    ]
    return header, rows


def _medicines_table(doses: list[dict[str, Any]]) -> Table:
    header = [
        _("Dose ID"),
        _("Medicine"),
        _("Amount"),
        _("Unit"),
        _("Taken (UTC)"),
        _("Time zone"),
        _("Taken (local time)"),
        _("Day"),
        _("Did it help?"),
        _("Side effects"),
        _("Logged (UTC)"),
    ]
    units = dict(DoseUnit.choices)
    effects = dict(Effect.choices)
    rows: list[Row] = [
        [
            dose["id"],
            dose["name"],
            dose["dose"],
            str(units.get(dose["unit"], dose["unit"])),
            dose["taken_at"],
            dose["time_zone"],
            dose["taken_local"],
            dose["day"],
            "" if dose["helped"] is None else str(effects.get(dose["helped"], "")),
            dose["side_effects"],
            dose["logged_at"],
        ]
        for dose in doses
    ]
    return header, rows


def _hydration_days_table(days: list[dict[str, Any]]) -> Table:
    header = [_("Day"), _("All drinks logged")]
    return header, [[day["day"], _yes_no(day["complete"])] for day in days]


def _function_scores_table(scores: list[dict[str, Any]]) -> Table:
    header = [
        _("Week starting"),
        _("Answered on"),
        _("Pain on average (0 to 10)"),
        _("Interference with enjoyment of life (0 to 10)"),
        _("Interference with general activity (0 to 10)"),
        _("Weekly score (PEG, mean of the three)"),
        _("Answered (UTC)"),
    ]
    rows: list[Row] = [
        [
            score["week"],
            score["day"],
            score["pain"],
            score["enjoyment"],
            score["activity"],
            score["score"],
            score["answered_at"],
        ]
        for score in scores
    ]
    return header, rows


def _profile_table(profile: dict[str, Any]) -> Table:
    header = [
        _("Username"),
        _("Time zone"),
        _("Sex"),
        _("Pregnant"),
        _("Breastfeeding"),
        _("Year of birth"),
        _("Told to limit fluids"),
        _("Own daily drinks target (ml)"),
        _("Usual glass (ml)"),
    ]
    # Without a profile the columns stay, empty, so every export has the same shape.
    sex = profile.get("sex")
    row: Row = [
        profile["username"],
        profile["time_zone"],
        "" if sex is None else str(Sex(sex).label),
        _yes_no(profile.get("pregnant")),
        _yes_no(profile.get("breastfeeding")),
        profile.get("year_of_birth"),
        _yes_no(profile.get("limit_fluids")),
        profile.get("own_target_ml"),
        profile.get("glass_ml"),
    ]
    return header, [row]


def _csv_bytes(table: Table) -> bytes:
    header, rows = table
    text = io.StringIO()
    writer = csv.writer(text)
    for row in [header, *rows]:
        writer.writerow([csv_safe(cell) for cell in row])
    # The byte-order mark is how spreadsheets know the file is UTF-8.
    return text.getvalue().encode(CSV_ENCODING)


def _flags_table(flags: list[dict[str, Any]]) -> Table:
    header = [
        _("Flag"),
        _("Urgency"),
        _("First day"),
        _("Last day"),
        _("Answered (UTC)"),
        _("Seen by a clinician"),
    ]
    rows: list[Row] = [
        [
            flag["text"],
            flag["urgency"],
            flag["first_day"],
            flag["last_day"],
            flag["answered_at"],
            _yes_no(flag["seen_by_a_clinician"]),
        ]
        for flag in flags
    ]
    return header, rows


CSV_MEMBERS: tuple[tuple[str, str, Callable[[Any], Table]], ...] = (
    ("episodes.csv", "episodes", _episodes_table),
    ("red_flag_answers.csv", "red_flag_answers", _red_flag_answers_table),
    ("checkins.csv", "checkins", _checkins_table),
    ("drinks.csv", "drinks", _drinks_table),
    ("hydration_days.csv", "hydration_days", _hydration_days_table),
    ("function_scores.csv", "function_scores", _function_scores_table),
    ("medicines.csv", "medicines", _medicines_table),
    ("profile.csv", "profile", _profile_table),
    ("flags_now.csv", "flags_now", _flags_table),
)


def export_csv_zip(*, patient: User, since: date | None = None, until: date | None = None) -> bytes:
    """Render the patient's export as a ZIP archive holding one CSV file per record type."""
    data = export_data(patient=patient, since=since, until=until)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for filename, key, table in CSV_MEMBERS:
            zipped.writestr(filename, _csv_bytes(table(data[key])))
    return archive.getvalue()
