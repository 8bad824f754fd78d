"""Real servers on loopback for the alert channel tests: a webhook receiver and SMTP."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Received:
    """One POST the receiver got."""

    headers: dict[str, str]
    body: bytes
    verified: bool


@dataclass
class Receiver:
    """HTTP webhook receiver on loopback; verifies signatures, answers per `mode`.

    Modes: ok (204 when the signature verifies, else 401), 500, 410, 429 (with
    `retry_after`), redirect, hang (never answers). `stop()` and `start()` keep the port.
    """

    secret: str
    mode: str = "ok"
    retry_after: str = "7"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _release: threading.Event = field(default_factory=threading.Event)
    _connections: set[socket.socket] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/selfref?token=t0ps3cret"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                receiver._connections.add(self.connection)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    verified = False
                receiver.received.append(Received(headers, body, verified))
                if receiver.mode == "hang":
                    receiver._release.wait(10)
                    self.close_connection = True
                    return
                status = {"ok": 204 if verified else 401, "500": 500, "410": 410}.get(
                    receiver.mode, 429 if receiver.mode == "429" else 302
                )
                text = b"" if status == 204 else f"mode {receiver.mode}".encode()
                self.send_response(status)
                if receiver.mode == "429":
                    self.send_header("retry-after", receiver.retry_after)
                if receiver.mode == "redirect":
                    self.send_header("location", "https://elsewhere.example.org/hook")
                self.send_header("content-length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._release.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._release.set()
        self._server.shutdown()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._connections.clear()
        self._server.server_close()
        self._thread.join(5)
        self._server = None


class Mailbox:
    """aiosmtpd handler that keeps every accepted message and refuses listed recipients."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running aiosmtpd server and its mailbox."""

    host: str
    port: int
    mailbox: Mailbox
