"""Main text and metadata of a fetched page: trafilatura first, BeautifulSoup as the fallback."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import trafilatura
from bs4 import BeautifulSoup
from bs4.element import NavigableString, Tag
from bs4.exceptions import ParserRejectedMarkup

__all__ = ["Extracted", "extract"]

Method = Literal["trafilatura", "beautifulsoup", "plain", "none"]

_LANG = re.compile(r"""<html[^>]*?\slang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I)
_DROP = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form", "template")
_BLOCKS = (
    "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "section", "article", "table", "ul", "ol", "dd", "dt",
)  # fmt: skip


@dataclass(frozen=True)
class Extracted:
    """What a page says and who said it; `too_short` pages are recorded, not indexed."""

    title: str | None
    author: str | None
    date: date | None
    site: str | None
    language: str | None
    text: str
    method: Method
    too_short: bool


def extract(
    html: str, url: str, *, content_type: str | None = None, min_chars: int = 200
) -> Extracted:
    """Extract `html` fetched from `url`; never raises on malformed markup.

    Plain-text bodies (text/plain, or no markup at all) pass through unchanged.
    """
    if content_type == "text/plain" or "<" not in html:
        text = html.strip()
        return Extracted(None, None, None, None, None, text, "plain", len(text) < min_chars)
    html = html.replace("\x00", "")
    language = _language(html)
    found = _trafilatura(html, url)
    if found is not None and len(found.text) >= min_chars:
        return Extracted(
            found.title, found.author, found.date, found.site, found.language or language,
            found.text,
            "trafilatura", False,
        )  # fmt: skip
    title, text = _soup(html)
    meta = found or Extracted(title, None, None, None, language, "", "none", True)
    if len(text) > len(meta.text):
        return Extracted(
            meta.title or title, meta.author, meta.date, meta.site, language, text,
            "beautifulsoup", len(text) < min_chars,
        )  # fmt: skip
    method: Method = "trafilatura" if meta.text else "none"
    return Extracted(
        meta.title or title, meta.author, meta.date, meta.site, language, meta.text, method, True
    )


def _trafilatura(html: str, url: str) -> Extracted | None:
    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception:  # trafilatura and lxml raise many kinds on hostile markup
        return None
    if doc is None or isinstance(doc, dict):
        return None
    return Extracted(
        title=doc.title or None,
        author=doc.author or None,
        date=_date(doc.date),
        site=doc.sitename or None,
        language=doc.language or None,
        text=(doc.text or "").strip(),
        method="trafilatura",
        too_short=False,
    )


def _soup(html: str) -> tuple[str | None, str]:
    """Visible text with one line per block element."""
    try:
        soup = BeautifulSoup(html, "html.parser")
    except ParserRejectedMarkup:
        return None, ""
    for tag in soup(_DROP):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    if soup.title:
        soup.title.decompose()
    pieces: list[str] = []
    for node in soup.descendants:
        if type(node) is NavigableString:
            pieces.append(node)
        elif isinstance(node, Tag) and (node.name in _BLOCKS or node.name == "br"):
            pieces.append("\n")
    lines = (" ".join(line.split()) for line in "".join(pieces).splitlines())
    return title or None, "\n".join(line for line in lines if line)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _language(html: str) -> str | None:
    match = _LANG.search(html[:4096])
    return match.group(1).replace("_", "-").lower() if match else None
