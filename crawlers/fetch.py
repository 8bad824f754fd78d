"""Polite, bounded HTTP fetching on httpx.

Every hop of every request goes through the same steps: SSRF guard, robots.txt, per-host
spacing, a global concurrency limit, one streamed GET with a byte cap, then retry,
redirect or a final `FetchResult`. Network and HTTP trouble never raises: it comes back
as a result whose `status` and `error` say what happened.
"""

from __future__ import annotations

import codecs
import random
import re
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from itertools import chain
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from crawlers.settings import ANY_TYPE, FEED_TYPES, JSON_TYPES, PAGE_TYPES, FetchSettings

__all__ = [
    "ANY_TYPE",
    "FEED_TYPES",
    "JSON_TYPES",
    "PAGE_TYPES",
    "FetchRequest",
    "FetchResult",
    "FetchSettings",
    "FetchStatus",
    "Fetcher",
    "decode_body",
    "looks_binary",
]

Guard = Callable[[str], None]


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Only encodings we decompress ourselves under the byte cap; never zstd or brotli.
_ACCEPT_ENCODING = "gzip, deflate"
_ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})
_ROBOTS_MAX_BYTES = 512_000
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


class FetchStatus(StrEnum):
    """How a fetch ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    NOT_FOUND = "not_found"
    GONE = "gone"
    FAILED = "failed"
    DISALLOWED = "disallowed"
    BLOCKED = "blocked"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    REDIRECT_LOOP = "redirect_loop"


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch, with the validators from its last fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """What one fetch produced; `text` is set for textual bodies only."""

    url: str
    final_url: str
    status: FetchStatus = FetchStatus.FAILED
    http_status: int | None = None
    content_type: str | None = None
    encoding: str | None = None
    body: bytes = b""
    text: str = ""
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """True when a body was fetched."""
        return self.status is FetchStatus.OK


@dataclass(frozen=True)
class _Robots:
    parser: Protego | None
    allow_all: bool
    reason: str


class _Retry(Exception):
    """An attempt failed in a way worth retrying."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after: float | None = None


class Fetcher:
    """Thread-safe fetcher; inject `transport`, `guard`, `clock`, `sleep`, `rng` in tests."""

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        guard: Guard | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            timeout=self.settings.timeout,
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": _ACCEPT_ENCODING},
            trust_env=False,
        )
        self._guard = guard
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._agent = self.settings.user_agent.split("/", 1)[0].split()[0]
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._in_flight = threading.BoundedSemaphore(self.settings.concurrency)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: Collection[str] | None = None,
        max_bytes: int | None = None,
        robots: bool = True,
    ) -> FetchResult:
        """GET `url`, following redirects by hand so the guard and robots see every hop.

        `accept` overrides the allowed content types (`ANY_TYPE` takes anything),
        `max_bytes` the size cap; `robots=False` is for documented APIs such as
        MediaWiki's, whose robots.txt is written for page crawlers.
        """
        result = FetchResult(url=url, final_url=url)
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        types = frozenset(t.lower() for t in (accept or self.settings.content_types))
        limit = max_bytes or self.settings.max_page_bytes
        current = url
        while True:
            result.final_url = current
            refusal = self._refusal(current, robots)
            if refusal is not None:
                result.status, result.error = refusal
                return result
            response = self._get_with_retries(result, current, headers, types, limit)
            if response is None:
                return result
            target = urljoin(current, response.headers.get("location", ""))
            if target in {url, *result.redirects}:
                result.status = FetchStatus.REDIRECT_LOOP
                result.error = f"{url}: redirect loop back to {target}"
                return result
            if len(result.redirects) >= self.settings.max_redirects:
                result.status = FetchStatus.REDIRECT_LOOP
                result.error = f"{url}: more than {self.settings.max_redirects} redirects"
                return result
            result.redirects.append(target)
            current = target

    def fetch_all(
        self, requests: Iterable[FetchRequest], *, ordered: bool = False, keep_body: bool = True
    ) -> Iterator[FetchResult]:
        """Fetch with up to `concurrency` requests at once.

        Results come as they finish, or in request order with `ordered` (then at most
        2 x `concurrency` results are held while an early one is slow). `keep_body=False`
        drops the raw bytes of results whose text was decoded.
        """
        window = 2 * self.settings.concurrency
        pool = ThreadPoolExecutor(self.settings.concurrency, thread_name_prefix="selfref-fetch")

        def one(request: FetchRequest) -> FetchResult:
            result = self.fetch(request.url, etag=request.etag, last_modified=request.last_modified)
            if not keep_body and result.text:
                result.body = b""
            return result

        try:
            if ordered:
                queue: deque[Future[FetchResult]] = deque()
                for request in requests:
                    queue.append(pool.submit(one, request))
                    if len(queue) >= window:
                        yield queue.popleft().result()
                while queue:
                    yield queue.popleft().result()
                return
            pending: set[Future[FetchResult]] = set()
            for request in requests:
                pending.add(pool.submit(one, request))
                if len(pending) >= window:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def robots_sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt for `url`'s site."""
        rules = self._robots_for(url)
        return list(rules.parser.sitemaps) if rules.parser else []

    def _refusal(self, url: str, robots: bool) -> tuple[FetchStatus, str] | None:
        if urlsplit(url).scheme not in ("http", "https"):
            return FetchStatus.FAILED, f"{url}: only http and https URLs can be fetched"
        if self._guard is not None:
            try:
                self._guard(url)
            except ValueError as exc:
                # a guard marks passing trouble (a name that did not resolve) as temporary
                temporary = getattr(exc, "temporary", False)
                return (FetchStatus.FAILED if temporary else FetchStatus.BLOCKED), str(exc)
        if robots:
            rules = self._robots_for(url)
            allowed = rules.parser.can_fetch(url, self._agent) if rules.parser else rules.allow_all
            if not allowed:
                return FetchStatus.DISALLOWED, f"{url}: disallowed by robots.txt ({rules.reason})"
        return None

    def _robots_for(self, url: str) -> _Robots:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            if origin in self._robots:
                return self._robots[origin]
            origin_lock = self._robots_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self._robots:
                rules = self._load_robots(origin + "/robots.txt")
                with self._lock:
                    self._robots[origin] = rules
            return self._robots[origin]

    def _load_robots(self, robots_url: str) -> _Robots:
        got = self.fetch(robots_url, accept=ANY_TYPE, max_bytes=_ROBOTS_MAX_BYTES, robots=False)
        if got.ok:
            text = got.text or got.body.decode("utf-8", "replace")
            return _Robots(Protego.parse(text), True, robots_url)
        code = got.http_status
        if code is not None and 400 <= code < 500 and code != 429:
            return _Robots(None, True, f"{robots_url} answered {code}: all allowed")
        return _Robots(None, False, f"{robots_url} unavailable for this run: {got.error}")

    def _crawl_delay(self, url: str) -> float:
        parts = urlsplit(url)
        with self._lock:
            rules = self._robots.get(f"{parts.scheme}://{parts.netloc}".lower())
        delay = rules.parser.crawl_delay(self._agent) if rules and rules.parser else None
        return max(self.settings.per_host_delay, float(delay or 0.0))

    def _wait_turn(self, url: str, delay: float) -> None:
        """Reserve the next slot for this host, then sleep until it comes."""
        host = (urlsplit(url).hostname or "").lower()
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + delay
        if slot > now:
            self._sleep(slot - now)

    def _get_with_retries(
        self,
        result: FetchResult,
        url: str,
        headers: dict[str, str],
        types: frozenset[str],
        limit: int,
    ) -> httpx.Response | None:
        """Fill `result`; return the response only when it is a redirect to follow."""
        attempts = self.settings.retries + 1
        delay = self._crawl_delay(url)
        if delay > self.settings.max_retry_after:
            result.status = FetchStatus.FAILED
            result.error = (
                f"{url}: robots.txt crawl-delay {delay:.0f} s too long "
                f"(more than {self.settings.max_retry_after:.0f} s): host not crawled"
            )
            return None
        for attempt in range(1, attempts + 1):
            result.attempts += 1
            self._wait_turn(url, delay)
            try:
                with self._in_flight:
                    return self._attempt(result, url, headers, types, limit)
            except _Retry as exc:
                result.status = FetchStatus.FAILED
                result.http_status = exc.http_status
                result.retry_after = exc.retry_after
                if exc.retry_after is not None and exc.retry_after > self.settings.max_retry_after:
                    result.error = (
                        f"{url}: {exc}; server asks to retry after {exc.retry_after:.0f} s, "
                        f"more than {self.settings.max_retry_after:.0f} s: try again later"
                    )
                    return None
                result.error = f"{url}: {exc} (after {attempt} attempts)"
                if attempt < attempts:
                    self._sleep(self._backoff(attempt, exc.retry_after))
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                result.status = FetchStatus.FAILED
                result.error = f"{url}: {type(exc).__name__}: {exc}"
                return None
            except zlib.error as exc:
                result.status = FetchStatus.FAILED
                result.error = f"{url}: corrupt compressed body: {exc}"
                return None
        return None

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.settings.backoff_cap, self.settings.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def _attempt(
        self,
        result: FetchResult,
        url: str,
        headers: dict[str, str],
        types: frozenset[str],
        limit: int,
    ) -> httpx.Response | None:
        deadline = self._clock() + self.settings.timeout
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                code = response.status_code
                result.http_status = code
                if code in _REDIRECTS and "location" in response.headers:
                    return response
                if code == 429 or code >= 500:
                    retry = _Retry(f"HTTP {code} {response.reason_phrase}".strip(), code)
                    retry.retry_after = _retry_after(response.headers)
                    raise retry
                result.etag = response.headers.get("etag", result.etag)
                result.last_modified = response.headers.get("last-modified")
                if code == 304:
                    result.status = FetchStatus.NOT_MODIFIED
                    result.etag = result.etag or headers.get("If-None-Match")
                    result.last_modified = result.last_modified or headers.get("If-Modified-Since")
                elif code in (404, 410):
                    result.status = FetchStatus.NOT_FOUND if code == 404 else FetchStatus.GONE
                    result.error = f"{url}: HTTP {code}"
                elif not 200 <= code < 300:
                    result.status = FetchStatus.FAILED
                    result.error = f"{url}: HTTP {code} {response.reason_phrase}".strip()
                else:
                    self._read_body(result, response, types, limit, deadline)
                return None
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise _Retry(f"{type(exc).__name__}: {exc or 'no detail'}") from exc
        except httpx.RemoteProtocolError as exc:
            if _bad_location(exc):
                raise httpx.InvalidURL(str(exc)) from exc
            raise _Retry(f"{type(exc).__name__}: {exc or 'no detail'}") from exc

    def _read_body(
        self,
        result: FetchResult,
        response: httpx.Response,
        types: frozenset[str],
        limit: int,
        deadline: float,
    ) -> None:
        url = result.final_url
        raw_type = response.headers.get("content-type", "")
        mime, _, params = raw_type.partition(";")
        mime = mime.strip().lower()
        result.content_type = mime or None
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
                result.status = FetchStatus.TOO_LARGE
                result.error = f"{url}: body exceeds the limit of {limit} bytes"
                return
            if self._clock() > deadline:
                raise httpx.ReadTimeout(f"body not complete within {self.settings.timeout} s")
        body = b"".join(chunks)
        textual = not mime or mime.startswith("text/") or mime.endswith(("xml", "json"))
        if textual and looks_binary(body):
            result.status = FetchStatus.UNSUPPORTED_TYPE
            result.error = f"{url}: served as {mime or 'untyped'} but the body is binary"
            return
        result.status = FetchStatus.OK
        result.error = None
        result.body = body
        if textual:
            result.text, result.encoding = decode_body(body, _charset(params), mime)


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


def _bad_location(exc: httpx.RemoteProtocolError) -> bool:
    """httpx parses a redirect's Location itself and says so when it is not a URL."""
    return "location header" in str(exc).lower()


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date, against the server's Date)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        date = headers.get("date")
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


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
