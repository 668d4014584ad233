"""Show what a revision changes, field by field, word by word, for a person to read."""

import difflib
import re
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from education.services import Content

LABELS: dict[str, str | Promise] = {
    "title": _("Title"),
    "slug": _("Address (slug)"),
    "category": _("Category"),
    "summary": _("Summary"),
    "body": _("Body"),
    "starting_position": _("Starting position"),
    "steps": _("Steps"),
    "hold": _("Hold"),
    "repetitions": _("Repetitions"),
    "cautions": _("Cautions"),
    "needs_professional_review": _("Awaiting professional review"),
    "sources": _("Sources"),
    "related": _("Related articles"),
}
_TOKENS = re.compile(r"\s+|[^\s\w]|\w+")


@dataclass(frozen=True)
class Change:
    field: str
    label: str | Promise
    html: SafeString  # the new text with removed words struck through and added words marked


def as_text(field: str, value: Any) -> str:
    """Return a field's value (as education.services.content_of gives it) as lines of text."""
    if value is None:
        return ""
    if field == "steps":
        steps: list[dict[str, str]] = value
        return "\n".join(
            f"{number}. {step['text']}"
            + (f"\n   [{step['drawing']}: {step['alt']}]" if step.get("drawing") else "")
            for number, step in enumerate(steps, start=1)
        )
    if field == "sources":
        sources: list[dict[str, Any]] = value
        return "\n".join(
            f"{s['title']}. {s['publisher']}, {s['year']}." + (f" {s['url']}" if s["url"] else "")
            for s in sources
        )
    if field in ("cautions", "related"):
        return "\n".join(value)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def word_diff(before: str, after: str) -> SafeString:
    """Return the after text as HTML, with deleted words in <del> and added ones in <ins>.

    Changed words separated only by spaces read as one change ("<del>warm towel</del>
    <ins>heat pack</ins>"), not as a stutter of single words.
    """
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    segments: list[list[str]] = []  # [kind, old text, new text]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        kind = "same" if op == "equal" else "change"
        segments.append([kind, "".join(old[i1:i2]), "".join(new[j1:j2])])
    merged: list[list[str]] = []
    for segment in segments:
        if (
            segment[0] == "change"
            and len(merged) >= 2
            and merged[-1][0] == "same"
            and not merged[-1][2].strip()
            and merged[-2][0] == "change"
        ):
            space = merged.pop()[2]
            merged[-1][1] += space + segment[1]
            merged[-1][2] += space + segment[2]
        else:
            merged.append(segment)
    parts: list[str] = []
    for kind, old_text, new_text in merged:
        if kind == "same":
            parts.append(escape(new_text))
            continue
        if old_text:
            parts.append(f"<del>{escape(old_text)}</del>")
        if new_text:
            parts.append(f"<ins>{escape(new_text)}</ins>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece was escaped above


def changes(before: Content, after: Content) -> list[Change]:
    """Return each field whose value differs, with its word-by-word difference."""
    found = []
    for field, label in LABELS.items():
        old, new = as_text(field, before.get(field)), as_text(field, after.get(field))
        if old != new:
            found.append(Change(field, label, word_diff(old, new)))
    return found
