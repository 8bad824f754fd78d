"""Limits: only accepted types and encodings, never more than the byte cap however
compressed, and the whole body within the timeout."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator
from itertools import chain

import httpx

from selfref.crawlers.fetch.chain import Exchange, Next, media_type
from selfref.crawlers.fetch.result import FetchStatus
from selfref.crawlers.settings import FetchSettings

__all__ = ["ACCEPT_ENCODING", "Limits"]

# Only encodings we decompress ourselves under the byte cap; never zstd or brotli.
ACCEPT_ENCODING = "gzip, deflate"
_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})


class Limits:
    """Reads `exchange.response`'s body into `exchange.body` under the fetch's limits.

    Refused unread: a type outside `exchange.accept`, an encoding other than gzip or
    deflate, a declared length over `exchange.max_bytes`. While reading, raw and
    decompressed sizes are capped alike (a gzip bomb is never inflated past the cap), and a
    body still arriving `timeout` seconds after its request was sent is a read timeout.
    """

    def __init__(self, settings: FetchSettings, *, clock: Callable[[], float]) -> None:
        self._timeout = settings.timeout
        self._clock = clock

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        response, result, url = exchange.response, exchange.result, exchange.url
        assert response is not None, "Limits reads the response Send leaves"
        mime, _ = media_type(response.headers)
        result.content_type = mime or None
        types, limit = exchange.accept, exchange.max_bytes
        if mime and "*/*" not in types and mime not in types:
            result.status = FetchStatus.UNSUPPORTED_TYPE
            result.error = f"{url}: content type {mime} is not fetched"
            return
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in _ENCODINGS:
            result.status = FetchStatus.UNSUPPORTED_TYPE
            result.error = f"{url}: content encoding {encoding!r} is not accepted"
            return
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            result.status = FetchStatus.TOO_LARGE
            result.error = f"{url}: {declared} bytes declared, limit is {limit}"
            return
        try:
            body = self._read(response, encoding, limit, exchange.sent_at + self._timeout)
        except zlib.error as exc:
            result.status = FetchStatus.FAILED
            result.error = f"{url}: corrupt compressed body: {exc}"
            return
        if body is None:
            result.status = FetchStatus.TOO_LARGE
            result.error = f"{url}: body exceeds the limit of {limit} bytes"
            return
        exchange.body = body
        call_next(exchange)

    def _read(
        self, response: httpx.Response, encoding: str, limit: int, deadline: float
    ) -> bytes | None:
        """The decompressed body, or None once it (or its raw size) passes `limit`."""
        raws: Iterable[bytes] = response.iter_raw()
        if response.is_stream_consumed:  # an in-memory response (tests), already decoded
            raws, encoding = [response.content], ""
        inflate = _Inflater(encoding)
        chunks: list[bytes] = []
        size = raw_size = 0
        for raw in chain(raws, [b""]):
            raw_size += len(raw)
            if raw_size <= limit:
                for chunk in inflate.feed(raw, limit + 1 - size):
                    size += len(chunk)
                    chunks.append(chunk)
            if size > limit or raw_size > limit:
                return None
            if self._clock() > deadline:
                raise httpx.ReadTimeout(f"body not complete within {self._timeout} s")
        return b"".join(chunks)


class _Inflater:
    """Decompresses gzip or deflate bodies without ever producing more than asked for."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        self._zlib: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._first = encoding == "deflate"

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        """Output for `data` (b"" at the end), stopping once `room` bytes were produced."""
        if not self._encoding or self._encoding == "identity":
            if data:
                yield data
            return
        if self._first and data:
            self._first = False
            # "deflate" is zlib-wrapped by the RFC, raw deflate on some servers.
            wrapped = len(data) > 1 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        if self._zlib is None:
            return
        while room > 0:
            piece = self._zlib.decompress(data, room)
            data = self._zlib.unconsumed_tail
            if piece:
                room -= len(piece)
                yield piece
            elif not data:
                return
