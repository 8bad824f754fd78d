"""Decode: refuse binary bodies served as text, and sniff the charset of textual ones."""

from __future__ import annotations

import codecs
import re

from selfref.crawlers.fetch.chain import Exchange, Next, media_type
from selfref.crawlers.fetch.result import FetchStatus

__all__ = ["Decode", "decode_body", "looks_binary"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY_MAGIC = (b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"%PDF-", b"PK\x03\x04", b"\x1f\x8b")
_TEXT_BYTES = bytes([9, 10, 11, 12, 13, *range(32, 127), *range(128, 256)])
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""")


class Decode:
    """Ends a fetch with its body: untyped, text/*, *xml and *json bodies are refused when
    they look binary and are otherwise decoded into `result.text` (see `decode_body`)."""

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        result, body = exchange.result, exchange.body
        assert exchange.response is not None, "Decode reads the response Send leaves"
        mime, charset = media_type(exchange.response.headers)
        textual = not mime or mime.startswith("text/") or mime.endswith(("xml", "json"))
        if textual and looks_binary(body):
            result.status = FetchStatus.UNSUPPORTED_TYPE
            result.error = f"{exchange.url}: served as {mime or 'untyped'} but the body is binary"
            return
        result.status = FetchStatus.OK
        result.error = None
        result.body = body
        if textual:
            result.text, result.encoding = decode_body(body, charset, mime)
        call_next(exchange)


def looks_binary(body: bytes) -> bool:
    """True for bodies that are not text: known magic numbers or many control bytes."""
    sample = body[:8192]
    if not sample or sample.startswith(tuple(bom for bom, _ in _BOMS)):
        return False
    if sample.startswith(_BINARY_MAGIC):
        return True
    controls = len(sample.translate(None, _TEXT_BYTES))
    return controls > len(sample) * 0.02


def _codec(label: str | bytes | None) -> str | None:
    if label is None:
        return None
    name = label.decode("ascii", "ignore") if isinstance(label, bytes) else label
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    # As browsers do (WHATWG Encoding): Latin-1 and ASCII labels mean windows-1252.
    return "cp1252" if codec in ("iso8859-1", "ascii") else codec


def decode_body(body: bytes, charset: str | None = None, mime: str = "") -> tuple[str, str]:
    """Text and codec name: BOM, then the header charset, then <meta>/<?xml?>, then UTF-8.

    Bytes that are not valid in a declared UTF-8 and contain no valid multibyte sequence
    are read as windows-1252, the usual truth behind such pages. Errors are replaced.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, "replace"), name
    head = body[:4096]
    found = _META_CHARSET.search(head) if "xml" not in mime or "html" in mime else None
    declared = [charset, found.group(1) if found else None]
    xml = _XML_ENCODING.search(head)
    declared.append(xml.group(1) if xml else None)
    for label in declared:
        codec = _codec(label)
        if codec and codec != "utf-8":
            return body.decode(codec, "replace"), codec
        if codec:
            break
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
    if any(ord(c) > 127 and c != "\ufffd" for c in text):
        return text, "utf-8"
    return body.decode("cp1252", "replace"), "cp1252"
