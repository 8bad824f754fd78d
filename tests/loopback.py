"""Small helpers for tests that run real servers on loopback."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import threading
import time


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_secret() -> str:
    """A fresh Standard Webhooks secret."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


class Trickler:
    """A loopback server that sends its reply one byte per `interval` seconds.

    With `http=True` it first reads the request (head and body) and answers /robots.txt
    with a quick 404; otherwise (SMTP) it trickles its greeting at once. It stops
    trickling after `give_up` seconds or when closed.
    """

    def __init__(
        self, reply: bytes, *, http: bool = True, interval: float = 0.5, give_up: float = 30.0
    ) -> None:
        self.reply, self.http, self.interval, self.give_up = reply, http, interval, give_up
        self.connections = 0
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
            ends = time.monotonic() + self.give_up
            for byte in self.reply:
                if self._stop.wait(self.interval) or time.monotonic() > ends:
                    return
                conn.sendall(bytes([byte]))
