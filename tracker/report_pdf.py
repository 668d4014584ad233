"""The report as a PDF, made with WeasyPrint from the same HTML as the printable page.

WeasyPrint fetches what the HTML links to (the stylesheet). It never goes to the network here:
the fetcher serves only the project's static files, from the collected files or the finders,
and refuses every other address (WeasyPrint then leaves that resource out).
"""

import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Relative addresses in the HTML resolve against this; nothing is ever fetched from it.
BASE_URL = "https://report.invalid/"


def static_file(name: str) -> Path | None:
    """Return the file of a static name, or None: the source file (as the finders find it),
    else the collected one (a hashed name exists only there)."""
    name = posixpath.normpath(unquote(name)).lstrip("/")
    if name.startswith(".."):
        return None
    found = finders.find(name)
    if isinstance(found, str):
        return Path(found)
    try:
        collected = Path(staticfiles_storage.path(name))
    except (NotImplementedError, SuspiciousFileOperation):
        return None
    return collected if collected.is_file() else None


class StaticFilesOnly(URLFetcher):
    """Serve the project's static files; refuse everything else (no network, no other file)."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        path = urlsplit(url).path
        prefix = urlsplit(settings.STATIC_URL).path
        if not path.startswith(prefix):
            raise ValueError(f"not a static file: {url}")
        found = static_file(path.removeprefix(prefix))
        if found is None:
            raise ValueError(f"no such static file: {url}")
        content_type = "text/css" if found.suffix == ".css" else "application/octet-stream"
        return URLFetcherResponse(url, found.read_bytes(), {"Content-Type": content_type})


def render_pdf(html: str) -> bytes:
    """Return the PDF of a report's HTML (A4, from its print stylesheet)."""
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticFilesOnly()).write_pdf()
    assert pdf is not None
    return pdf
