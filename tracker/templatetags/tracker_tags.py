import datetime
import uuid

from django import template

from tracker import rules
from tracker.forms import BAND_WORDS
from tracker.presenter import format_local

register = template.Library()


@register.filter
def local(value: datetime.datetime | None, user: object) -> str:
    """Format an instant as the date and time where the person is."""
    if value is None:
        return ""
    return format_local(value, "D j M Y, H:i", user.zone)


@register.filter
def severity_words(value: int | None) -> str:
    """Show a 0-10 rating with its band word, e.g. "7 (severe)"."""
    if value is None:
        return ""
    return f"{value} ({BAND_WORDS[rules.severity_band(value)]})"


@register.filter
def red_flag_text(code: str) -> str:
    """Show the question behind a stored red-flag code."""
    flag = rules.RED_FLAGS_BY_CODE.get(code)
    return str(flag.text) if flag else code


@register.simple_tag
def submission_key() -> str:
    """Return a fresh key for one form, so each form on a page is acted on once."""
    return str(uuid.uuid4())
