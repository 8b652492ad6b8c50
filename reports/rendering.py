"""HTML to PDF with WeasyPrint, fetching nothing but the app's own static files.

Reports are rendered from Django templates (autoescaped: a remark holding HTML prints as
text). WeasyPrint would otherwise fetch any URL the HTML names, `file://` and the network
included; `StaticOnlyFetcher` refuses everything except `/static/…` under the report's own
base URL, read through the staticfiles finders. Fonts come from fontconfig (Noto Sans CJK SC,
Debian's fonts-noto-cjk), embedded and subset by WeasyPrint.
"""

import logging
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# The base URL documents are rendered under. `.invalid` never resolves, and nothing is fetched
# from it anyway: the fetcher maps its /static/ paths to files found by the staticfiles finders.
BASE_URL = "https://anesqc.invalid/"
_ORIGIN = urlsplit(BASE_URL)


class ResourceRefused(ValueError):
    """A URL the report may not load (WeasyPrint logs it and renders without the resource)."""


class StaticOnlyFetcher(URLFetcher):
    """Serve `https://anesqc.invalid/static/<path>` from the app's static files; refuse every other URL."""

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (_ORIGIN.scheme, _ORIGIN.netloc) or parts.query:
            raise ResourceRefused(f"not an app static file: {url[:200]}")
        prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        path = unquote(parts.path)
        if not path.startswith(prefix):
            raise ResourceRefused(f"not an app static file: {url[:200]}")
        relative = path[len(prefix) :]
        if not relative or relative.startswith("/") or ".." in PurePosixPath(relative).parts or "\\" in relative:
            raise ResourceRefused(f"not an app static file: {url[:200]}")
        try:
            found = finders.find(relative)
        except SuspiciousFileOperation as exc:
            raise ResourceRefused(f"not an app static file: {url[:200]}") from exc
        if not found or isinstance(found, list):
            raise ResourceRefused(f"no such static file: {relative[:200]}")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        return URLFetcherResponse(url, Path(found).read_bytes(), {"Content-Type": content_type})


def css_string(text: str) -> str:
    """`text` as a quoted CSS string; `<`, `>`, quotes, backslashes and newlines escaped."""
    out = []
    for ch in text:
        if ch in '"\\<>' or ch in "\n\r\f" or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def page_counter_css(template: str) -> SafeString:
    """A CSS `content` value from a text with {page} and {pages}, e.g. "第 {page} 页 共 {pages} 页"."""
    counters = {"{page}": "counter(page)", "{pages}": "counter(pages)"}
    pieces = [counters.get(piece) or css_string(piece) for piece in re.split(r"(\{pages?\})", template) if piece]
    return mark_safe(" ".join(pieces))  # noqa: S308 (escaped CSS strings and counters only)


# The elements the report templates may use: those that reports/report_ua.css styles as WeasyPrint's own
# user-agent stylesheet does (SVG's own elements are drawn by WeasyPrint's SVG renderer, not styled by it).
REPORT_TAGS = frozenset(
    [
        "html",
        "head",
        "meta",
        "title",
        "link",
        "style",
        "body",
        "section",
        "div",
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "ul",
        "li",
        "strong",
        "span",
        "br",
        "table",
        "colgroup",
        "col",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "svg",
    ]
)
REPORT_UA = CSS(filename=str(Path(__file__).with_name("report_ua.css")))


class ReportHTML(HTML):
    """WeasyPrint's HTML with the report's user-agent stylesheet instead of the whole HTML one.

    WeasyPrint matches its user-agent stylesheet (every HTML element, form controls, bidi rules) against every
    element; with the dozen elements reports use, that was about a fifth of a report's time (issue 16). The
    rules kept are WeasyPrint's own for those elements; tests/reports/test_rendering.py renders the reports both
    ways and compares every page pixel for pixel. `_ua_stylesheets` is WeasyPrint's hook for this (HTML's
    stylesheets per document), pinned with WeasyPrint in requirements.txt.
    """

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [REPORT_UA]


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and its page count."""

    pdf: bytes
    pages: int


def layout(template: str, context: dict[str, Any]) -> Any:
    """Render the template and lay the HTML out in pages (WeasyPrint's `Document`)."""
    html = render_to_string(template, context)
    return ReportHTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render()


def write(document: Any) -> Rendered:
    """The laid-out document as PDF bytes, fonts embedded and subset."""
    return Rendered(pdf=document.write_pdf(), pages=len(document.pages))


def render_pdf(template: str, context: dict[str, Any]) -> Rendered:
    """Template to PDF in one call."""
    return write(layout(template, context))
