"""Fixtures for the crawler tests: a threaded HTTP server on loopback with per-test routes."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# The project is not installed in the venv and pyproject sets no pytest `pythonpath`.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from crawlers.fetch import Fetcher, FetchSettings

Handler = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    """http.server on 127.0.0.1:0; routes map a path (with or without query) to a handler."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._stop = threading.Event()
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                try:
                    if route is None:
                        send(self, b"no such page", status=404, content_type="text/plain")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RequestHandler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = lambda h: send(h, data, status, content_type, headers)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, status=status, headers={"Location": location})

    def streamed(self, path: str, total: int, content_type: str = "text/html") -> None:
        """A page of `total` bytes sent in 64 KiB chunks without Content-Length."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.end_headers()
            chunk = b"<p>" + b"x" * (65536 - 7) + b"</p>\n"
            sent = 0
            while sent < total and not self._stop.is_set():
                h.wfile.write(chunk)
                sent += len(chunk)

        self.routes[path] = handler

    def trickle(self, path: str, interval: float = 0.02, limit: float = 5.0) -> None:
        """Headers at once, then one byte every `interval` seconds for up to `limit` seconds."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            end = time.monotonic() + limit
            while time.monotonic() < end and not self._stop.is_set():
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(interval)

        self.routes[path] = handler

    def etag_page(
        self, path: str, body: str, etag: str, content_type: str = "text/html; charset=utf-8"
    ) -> None:
        """Answers 304 when If-None-Match carries `etag`, else the page with that ETag."""

        def handler(h: BaseHTTPRequestHandler) -> None:
            if h.headers.get("If-None-Match") == etag:
                send(h, b"", 304, None, {"ETag": etag})
            else:
                send(h, body.encode(), 200, content_type, {"ETag": etag})

        self.routes[path] = handler

    def sequence(self, path: str, *handlers: Handler) -> None:
        """Answer successive requests with successive handlers (the last one repeats)."""
        calls = iter(range(10**9))

        def handler(h: BaseHTTPRequestHandler) -> None:
            handlers[min(next(calls), len(handlers) - 1)](h)

        self.routes[path] = handler

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def send(
    h: BaseHTTPRequestHandler,
    body: bytes,
    status: int = 200,
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    """Write one complete response."""
    h.send_response(status)
    if content_type:
        h.send_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        h.send_header(key, value)
    if status != 304:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if status != 304:
        h.wfile.write(body)


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fetcher(make_fetcher: Callable[..., Fetcher]) -> Fetcher:
    """A fetcher on the fake clock for loopback tests (no guard)."""
    return make_fetcher()


@pytest.fixture
def make_fetcher(clock: FakeClock) -> Iterator[Callable[..., Fetcher]]:
    """Build fetchers on the fake clock (no real sleeping), closed after the test."""
    made: list[Fetcher] = []

    def make(**kwargs: object) -> Fetcher:
        options: dict[str, object] = {"per_host_delay": 0.0, "timeout": 5.0}
        fetcher_args: dict[str, object] = {"clock": clock, "sleep": clock.sleep}
        for key in ("transport", "guard", "rng", "clock", "sleep"):
            if key in kwargs:
                fetcher_args[key] = kwargs.pop(key)
        options.update(kwargs)
        fetcher = Fetcher(FetchSettings(**options), **fetcher_args)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()
