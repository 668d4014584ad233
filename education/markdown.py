"""Render article Markdown to HTML that is safe to show, whoever wrote it."""

import nh3
from markdown_it import MarkdownIt

# What an article body may contain once rendered: text structure, links, tables. Anything else
# (script, style, iframes, forms, event handlers, inline styles) is removed by the sanitiser.
ALLOWED_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "li", "ol", "p",
    "pre", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

# Raw HTML is allowed through the parser on purpose: the sanitiser, not the parser, is the guard,
# so an editor pasting HTML gets the same safe result as one writing Markdown.
_markdown = MarkdownIt("commonmark", {"html": True}).enable("table")


def sanitise_html(html: str) -> str:
    """Return the HTML with everything outside the allow-list removed."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_markdown(text: str) -> str:
    """Return the Markdown text as sanitised HTML."""
    return sanitise_html(_markdown.render(text))
