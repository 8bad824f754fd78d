"""Decode alone: a body and its response headers in, a fetched page (or a refusal) out."""

from __future__ import annotations

import httpx
from conftest import Downstream, new_exchange

from selfref.crawlers.fetch import FetchStatus
from selfref.crawlers.fetch.chain import Exchange
from selfref.crawlers.fetch.decode import Decode

CP1252_PAGE = "<html><body><p>Caf\u00e9 \u201cSydney\u201d \u2013 na\u00efve</p></body></html>"


def read(body: bytes, content_type: str | None) -> tuple[Exchange, Downstream]:
    """Decode `body` as Limits leaves it, served with `content_type`."""
    headers = {"Content-Type": content_type} if content_type else {}
    exchange, rest = new_exchange("https://e.org/page"), Downstream()
    exchange.response, exchange.body = httpx.Response(200, headers=headers), body
    exchange.result.error = "HTTP 503 (after 1 attempts)"  # left by an earlier attempt
    Decode()(exchange, rest)
    return exchange, rest


def test_text_is_decoded_by_its_sniffed_charset() -> None:
    body = CP1252_PAGE.encode("cp1252")
    exchange, rest = read(body, "text/html; charset=utf-8")  # cp1252 bytes declared UTF-8
    assert rest.calls == ["https://e.org/page"]
    assert exchange.result.status is FetchStatus.OK and exchange.result.error is None
    assert (exchange.result.text, exchange.result.encoding) == (CP1252_PAGE, "cp1252")
    assert exchange.result.body == body


def test_untyped_and_xml_bodies_are_text_too() -> None:
    assert read(b"plain words", None)[0].result.text == "plain words"
    xml = b'<?xml version="1.0" encoding="ISO-8859-15"?><a>\xa4</a>'
    exchange, _ = read(xml, "application/rss+xml")
    assert exchange.result.encoding == "iso8859-15" and "\u20ac" in exchange.result.text


def test_a_binary_body_served_as_text_is_refused() -> None:
    exchange, rest = read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "text/html")
    assert rest.calls == []
    assert exchange.result.status is FetchStatus.UNSUPPORTED_TYPE
    assert exchange.result.error == "https://e.org/page: served as text/html but the body is binary"
    assert exchange.result.body == b"" and exchange.result.text == ""


def test_a_body_of_another_accepted_type_is_kept_undecoded() -> None:
    exchange, rest = read(b"%PDF-1.7", "application/pdf")
    assert rest.calls == ["https://e.org/page"] and exchange.result.ok
    assert exchange.result.body == b"%PDF-1.7" and exchange.result.text == ""
    assert exchange.result.encoding is None
