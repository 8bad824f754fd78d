"""Small helpers for tests that run real servers on loopback."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_secret() -> str:
    """A fresh Standard Webhooks secret."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Request:
    """One request a `LoopbackServer` answered: headers lower-cased, the status it sent, when
    it arrived (time.monotonic)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class Streamed:
    """What a `LoopbackServer.streamed` page sent: bytes written to the client so far, and
    `ended` once it stopped (all sent, the client gone, or the server closed)."""

    sent: int = 0
    ended: threading.Event = field(default_factory=threading.Event)


class LoopbackServer:
    """A threaded http.server on loopback that records every request.

    It listens on `host` (127.0.0.1, or another loopback address such as 127.0.0.2) and
    `port` (0: any free one; a port given again serves where a closed server served). With
    `keep_alive` it speaks HTTP/1.1 and keeps connections open between requests; `close()`
    cuts the open ones, so a client's pooled connection fails as with a server gone.

    Routes map a path (with or without its query) to a handler, for any method; a path with
    no route is a 404. `add` serves a fixed answer (optionally with a content-hash ETag that
    answers If-None-Match with 304), `redirect`, `feed`, `streamed`, `trickle` and
    `sequence` build the other answers the tests need; a handler that waits uses `hold`.
    A context manager, or `close()`.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, keep_alive: bool = False) -> None:
        self.host = host
        self.routes: dict[str, Handler] = {}
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        server = self

        class _RequestHandler(BaseHTTPRequestHandler):
            record: Request
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def setup(self) -> None:
                super().setup()
                server._connections.add(self.connection)

            def finish(self) -> None:
                server._connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.record = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(self.record)
                route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                try:
                    if route is None:
                        send(self, b"no such page", status=404, content_type="text/plain")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):  # the client went away
                    pass

            do_POST = do_PUT = do_HEAD = do_GET

            def send_response(self, code: int, message: str | None = None) -> None:
                self.record.status = code
                super().send_response(code, message)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, port), _RequestHandler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hold(self, seconds: float) -> None:
        """Wait `seconds`, or less when the server closes (for handlers that stall)."""
        self._stop.wait(seconds)

    def paths(self, method: str = "GET") -> list[str]:
        return [r.path for r in self.requests if r.method == method]

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        etag: bool | str = False,
        delay: float = 0.0,
    ) -> None:
        """Serve one fixed answer at `path`; with `etag` a 200 carries an ETag (that string,
        or with True one made from the body) and a request that sends it back gets 304;
        `delay` seconds pass before the answer."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = etag if isinstance(etag, str) else None
        if etag is True:
            tag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'

        def handler(h: BaseHTTPRequestHandler) -> None:
            if delay:
                self.hold(delay)
            extra = dict(headers or {})
            if tag and status == 200:
                extra["ETag"] = tag
                if h.headers.get("If-None-Match") == tag:
                    send(h, b"", 304, None, extra)
                    return
            send(h, data, status, content_type, extra)

        self.routes[path] = handler

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.add(path, status=status, headers={"Location": location})

    def feed(self, path: str, paths: Iterable[str], *, etag: bool = False) -> None:
        """An RSS feed at `path` whose items link to `paths` on this server."""
        items = "".join(f"<item><title>{p}</title><link>{self.url(p)}</link></item>" for p in paths)
        rss = (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>News</title>"
            f"{items}</channel></rss>"
        )
        self.add(path, rss, content_type="application/rss+xml", etag=etag)

    def streamed(self, path: str, total: int, content_type: str = "text/html") -> Streamed:
        """A page of `total` bytes sent in 64 KiB chunks without Content-Length; the returned
        `Streamed` tells how much of it was sent, and when the sending ended."""
        streamed = Streamed()

        def handler(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.end_headers()
            chunk = b"<p>" + b"x" * (65536 - 7) + b"</p>\n"
            try:
                while streamed.sent < total and not self._stop.is_set():
                    h.wfile.write(chunk)
                    streamed.sent += len(chunk)
            finally:
                streamed.ended.set()

        self.routes[path] = handler
        return streamed

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
                self.hold(interval)

        self.routes[path] = handler

    def sequence(self, path: str, *handlers: Handler) -> None:
        """Answer successive requests with successive handlers (the last one repeats)."""
        calls = iter(range(10**9))

        def handler(h: BaseHTTPRequestHandler) -> None:
            handlers[min(next(calls), len(handlers) - 1)](h)

        self.routes[path] = handler

    def close(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.httpd.server_close()
        self._thread.join(5)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Received:
    """One POST a `WebhookReceiver` got: headers lower-cased, whether its Standard Webhooks
    signature verified, and then its JSON payload (else None)."""

    headers: dict[str, str]
    body: bytes
    verified: bool
    payload: Any = None


@dataclass
class WebhookReceiver:
    """A webhook receiver on a `LoopbackServer` (HTTP/1.1, keep-alive) that verifies each
    POST's signature with `secret` and answers per `mode`: "ok" (204 when it verifies, else
    401), a status ("500", "410"; "429" with `retry_after`), "redirect" (302 elsewhere) or
    "hang" (no answer until stopped, at most 10 s; `hang_ended` is set when a hang ends).
    `on_post` is called with the number of POSTs so far, before the answer. `stop()` then
    `start()` serves again on the same port.
    """

    secret: str
    mode: str = "ok"
    retry_after: str = "7"
    path: str = "/hooks/selfref"
    on_post: Callable[[int], None] | None = None
    port: int = 0
    received: list[Received] = field(default_factory=list)
    hang_ended: threading.Event = field(default_factory=threading.Event)
    _server: LoopbackServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def verified(self) -> list[Received]:
        return [r for r in self.received if r.verified]

    def start(self) -> WebhookReceiver:
        server = self._server = LoopbackServer(port=self.port, keep_alive=True)
        self.port = server.port
        server.routes[self.path.split("?")[0]] = lambda h: self._answer(server, h)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _answer(self, server: LoopbackServer, h: BaseHTTPRequestHandler) -> None:
        request = recorded(h)
        body, headers = request.body, request.headers
        try:
            payload, verified = Webhook(self.secret).verify(body, headers), True
        except WebhookVerificationError:
            payload, verified = None, False
        self.received.append(Received(headers, body, verified, payload))
        if self.on_post is not None:
            self.on_post(len(self.received))
        if self.mode == "hang":
            server.hold(10)
            self.hang_ended.set()
            h.close_connection = True
            return
        extra = {}
        if self.mode == "ok":
            status = 204 if verified else 401
        elif self.mode == "redirect":
            status, extra = 302, {"Location": "https://elsewhere.example.org/hook"}
        else:
            status = int(self.mode)
            if status == 429:
                extra = {"Retry-After": self.retry_after}
        send(h, b"" if status == 204 else f"mode {self.mode}".encode(), status, None, extra)


def recorded(h: BaseHTTPRequestHandler) -> Request:
    """The `Request` a `LoopbackServer` recorded for the request `h` is answering."""
    request: Request = h.record  # type: ignore[attr-defined]
    return request


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
    if status != 304 and h.command != "HEAD":
        h.wfile.write(body)


class Trickler:
    """A loopback server that sends its reply one byte per `interval` seconds.

    With `http=True` it first reads the request (head and body) and answers /robots.txt
    with a quick 404; otherwise (SMTP) it trickles its greeting at once. It stops
    trickling after `give_up` seconds or when closed; `hangups` counts the connections the
    client closed while it was still trickling (`hung_up` is set at the first, and
    `hung_up_at` is its time.monotonic()).
    """

    def __init__(
        self, reply: bytes, *, http: bool = True, interval: float = 0.5, give_up: float = 30.0
    ) -> None:
        self.reply, self.http, self.interval, self.give_up = reply, http, interval, give_up
        self.connections = 0
        self.hangups = 0
        self.hung_up = threading.Event()
        self.hung_up_at: float | None = None
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            if self.http:
                head = b""
                while b"\r\n\r\n" not in head:
                    data = conn.recv(4096)
                    if not data:
                        return
                    head += data
                if head.split(b" ", 2)[1] == b"/robots.txt":
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    return
            try:
                self._trickle(conn)
            except OSError:  # reset by the client, or a broken pipe: it went away
                self._client_left()

    def _trickle(self, conn: socket.socket) -> None:
        ends = time.monotonic() + self.give_up
        for byte in self.reply:
            # wait out the interval, watching for the client closing its end meanwhile
            readable, _, _ = select.select([conn], [], [], self.interval)
            if readable and not conn.recv(4096):
                self._client_left()
                return
            if self._stop.is_set() or time.monotonic() > ends:
                return
            conn.sendall(bytes([byte]))

    def _client_left(self) -> None:
        self.hangups += 1
        if self.hung_up_at is None:
            self.hung_up_at = time.monotonic()
        self.hung_up.set()
