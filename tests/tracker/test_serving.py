"""The served API's limits on a real uvicorn server on loopback: slow headers, idle
keep-alive, too many connections, requests that take too long."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from selfref.config import ApiSettings
from selfref.serving import server_config

pytestmark = pytest.mark.server

LIMITS = ApiSettings.model_validate(
    {"header_timeout": "1s", "keep_alive_timeout": "1s", "request_timeout": "1s",
     "max_connections": 2}
)  # fmt: skip
WAIT = 5.0  # how long a test waits for the server to act; every limit above is 1 s


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers `ok` at once, or after 3 s for /slow."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(3)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"2")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def served() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = uvicorn.Server(server_config(_app, "127.0.0.1", port, LIMITS))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(WAIT)
    return sock


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server ends the connection before WAIT seconds (reads to EOF)."""
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


def _get(sock: socket.socket, path: str = "/") -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock.recv(4096)


def test_headers_trickled_slower_than_the_header_timeout_are_cut_off(served: int) -> None:
    with _connect(served) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHo")
        assert _closed_by_server(sock)


def test_an_idle_keep_alive_connection_is_closed(served: int) -> None:
    with _connect(served) as sock:
        assert _get(sock).startswith(b"HTTP/1.1 200")
        assert _closed_by_server(sock)


def test_connections_beyond_the_cap_get_503(served: int) -> None:
    held = [_connect(served) for _ in range(LIMITS.max_connections)]
    try:
        for sock in held:
            sock.sendall(b"GET / HTTP/1.1\r\n")  # headers not finished: held open
        time.sleep(0.2)  # let the server accept them
        with _connect(served) as extra:
            assert _get(extra).startswith(b"HTTP/1.1 503")
    finally:
        for sock in held:
            sock.close()


def test_a_request_beyond_the_time_limit_gets_503(served: int) -> None:
    with _connect(served) as sock:
        answer = _get(sock, "/slow")
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert b"retry-after" in answer.lower()


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="header_timeout"):
        ApiSettings.model_validate({"header_timeout": "0s"})
