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


class MarkdownEditor(forms.Textarea):
    """Edit Markdown with a toolbar, the site's own preview and the reading age."""

    template_name = "education/widgets/markdown_editor.html"

    class Media:
        # The sources' table sits on the same admin forms: it fits there too (admin-education.css).
        css = {"all": ["css/markdown-editor.css", "css/admin-education.css"]}
        js = [
            forms.Script("vendor/markdown-toolbar-element/index.js", type="module"),
            forms.Script("js/markdown-editor.js", type="module"),
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
            "spellcheck": "true",
        }
        super().__init__({**defaults, **(attrs or {})})
