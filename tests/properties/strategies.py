"""What a hostile or careless visitor can put in a form field or a URL, as Hypothesis strategies.

Surrogates are left out: they cannot travel in an HTTP request, which carries UTF-8 bytes.
Everything else can, NUL and the controls included.
"""

import datetime
from collections.abc import Iterable
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Every property test runs with these: no deadline (a first request warms caches), and no
# example database left in the working tree. The personas are per-test fixtures, made once for
# all of a test's examples on purpose: each example runs in a savepoint rolled back after it
# (state.rolled_back) and compares the tables before and after its own request.
BASE = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def examples(count: int) -> settings:
    """Return the shared settings with `count` examples, sized to keep the folder near a minute."""
    return settings(BASE, max_examples=count)


ENORMOUS = "A" * 100_000

# Values chosen by hand because random text rarely hits them.
NASTY_TEXT = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שָׁלוֹם",
    "🙂",
    "👩‍👩‍👧‍👦",
    "\ufeff",
    "\u200b",
    ENORMOUS,
    "🙂" * 30_000,
    "-1",
    "-0",
    "0",
    "1e309",
    "NaN",
    "inf",
    "0x1F",
    "²",  # isdigit() but int() refuses it
    "٣",  # an Arabic-Indic digit, which int() accepts
    "9" * 5000,  # over Python's limit for converting text to int
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "3.5",
    " 7 ",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "' OR '1'='1",
    "%00",
    "../../etc/passwd",
    '"><script>alert(1)</script>',
)

NASTY_DATES = (
    "0001-01-01",
    "0001-01-02",
    "0000-01-01",
    "1000-01-01",
    "1899-12-31",
    "1900-01-01",
    "2100-12-31",
    "2101-01-01",
    "9999-12-31",
    "2026-02-29",
    "2024-02-29",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-1-1",
    "01/02/2026",
    "12/31/99",
    "31.12.2025",
    "2025-W01-1",
    "20260101",
    "-2026-01-01",
    "+2026-01-01",
    "2026-01-01T00:00",
    "today",
)

chars = st.characters(exclude_categories=("Cs",))
# Printable text a person could type; the junk below adds controls, NUL and the rest.
typed_chars = st.characters(exclude_categories=("Cs", "Cc"))

junk_text = st.one_of(
    st.text(chars, max_size=40),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_DATES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
# A field may also arrive several times (?a=1&a=2) when the form expects it once.
junk = st.one_of(junk_text, st.lists(junk_text, min_size=2, max_size=3))


def last(value: object) -> str:
    """Return what a single-value field reads from a request: the last value sent, as text."""
    if isinstance(value, list):
        return str(value[-1]) if value else ""
    return str(value)


def today() -> datetime.date:
    return timezone.localdate()


def past_day(max_days: int = 3650) -> st.SearchStrategy[datetime.date]:
    """Return days from today back to about ten years ago, the usual range of a real entry."""
    return st.integers(min_value=0, max_value=max_days).map(
        lambda days: today() - datetime.timedelta(days=days)
    )


any_day = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
day_text = st.one_of(
    past_day().map(datetime.date.isoformat),
    any_day.map(datetime.date.isoformat),
    st.integers(min_value=-400, max_value=400).map(
        lambda days: (today() + datetime.timedelta(days=days)).isoformat()
    ),
    st.sampled_from(NASTY_DATES),
)


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(typed_chars, max_size=max_size)


def some_of(values: Iterable[str]) -> st.SearchStrategy[list[str]]:
    """Return a few of the choices, none to four, as a multiple-choice field sends them."""
    return st.lists(st.sampled_from(sorted(values)), unique=True, max_size=4)


@st.composite
def spoiled(
    draw: st.DrawFn, valid: st.SearchStrategy[dict[str, object]], *, max_spoiled: int = 3
) -> dict[str, object]:
    """Draw a plausible submission, then spoil a few fields: junk in them, or left out.

    Spoiling only some fields lets a submission get past the easy checks and reach the ones
    that come later (cross-field checks, saving), which all-junk data never would.
    """
    data = draw(valid)
    names = st.sampled_from(sorted(data)) if data else st.nothing()
    for name in draw(st.sets(names, max_size=max_spoiled)):
        if draw(st.booleans()):
            data[name] = draw(junk)
        else:
            del data[name]
    return data


def form_data(
    fields: dict[str, st.SearchStrategy], *, max_spoiled: int = 3
) -> st.SearchStrategy[dict[str, object]]:
    """Return submissions of plausible values for `fields`, a few of them spoiled."""
    return spoiled(st.fixed_dictionaries(fields), max_spoiled=max_spoiled)


# A path segment: an id, a negative or huge number, or any text, quoted as a browser would.
path_ids = st.one_of(
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    junk_text.map(lambda value: quote(value, safe="")),
)
SENTINEL = 987654321


def path_with(view_name: str, value: str) -> str:
    """Return the URL of a view that takes one id, with any text in the id's place."""
    return reverse(view_name, args=[SENTINEL]).replace(str(SENTINEL), value, 1)


def id_in_path(value: str) -> int | None:
    """Return the id an <int:...> converter reads from this path segment, or None if none."""
    if value.isascii() and value.isdigit() and len(value.lstrip("0")) < 30:
        return int(value)
    return None
