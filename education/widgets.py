"""The Markdown editor of the admin: a tall textarea that the script turns into an editor.

Without JavaScript it stays a plain, tall textarea, and the form works as before. With it, the
editor gets a toolbar (headings, bold, lists, links: GitHub's markdown-toolbar-element, from the
npm registry and served by us), a preview rendered by the portal itself (education:draft_preview)
and the draft's reading age, updated as the editor writes.
"""

from typing import Any

from django import forms
from django.urls import reverse_lazy

from education.readability import READING_AGE_TARGET

EDITOR_ROWS = 25
# The longest draft the preview takes: longer than any article (the longest is under 6,000
# characters) with room to spare, short enough that rendering and measuring it stays quick.
PREVIEW_MAX_CHARS = 100_000


class MarkdownEditor(forms.Textarea):
    """Edit Markdown with a toolbar, the site's own preview and the reading age."""

    template_name = "education/widgets/markdown_editor.html"

    class Media:
        # The sources table sits on the same admin forms: it fits there too.
        css = {"all": ["css/staff/markdown-editor.css", "css/staff/admin-education.css"]}
        js = [
            forms.Script("vendor/markdown-toolbar-element/index.js", type="module"),
            forms.Script("js/staff/markdown-editor.js", type="module"),
        ]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        low, high = READING_AGE_TARGET
        defaults = {
            "rows": EDITOR_ROWS,
            "cols": 80,
            "class": "markdown-editor-input",
            "data-markdown-editor": "",
            "data-preview-url": reverse_lazy("education:draft_preview"),
            "data-target": f"{low}-{high}",
            "data-max-chars": PREVIEW_MAX_CHARS,
            "spellcheck": "true",
        }
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["max_chars"] = f"{PREVIEW_MAX_CHARS:,}"
        return context
