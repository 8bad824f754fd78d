"""Connect to the address you checked: DNS rebinding does not pass the SSRF guard.

The attacker's name here is `localhost`: the system resolver answers 127.0.0.1 for it,
and the guard's resolver (the one injected fake: no DNS server here can rebind) answers a
public address to the first lookups and loopback after, as a name with a zero TTL does.
A client that checks one answer and connects by name reaches loopback; the crawl and the
webhooks must not. 127.0.0.2 stands for a public site (the tests count it as public).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

import selfref.netguard as netguard
from selfref import Tracker
from selfref.netguard import AddressGuard
from selfref.transport import GuardedTransport
from tests.loopback import LoopbackServer, new_secret

PUBLIC = "93.184.216.34"
PRETEND_PUBLIC = "127.0.0.2"


def seen(server: LoopbackServer) -> list[tuple[str, str]]:
    """Each request's path and Host header."""
    return [(r.path, r.headers.get("host", "")) for r in server.requests]


@pytest.fixture
def secret_server() -> Iterator[LoopbackServer]:
    """A loopback server the guard must keep every request away from (all 404)."""
    with LoopbackServer() as server:
        yield server


class _Rebinder:
    """`localhost` resolves public to the first `public_answers` lookups, then to loopback."""

    def __init__(self) -> None:
        self.public_answers = 1
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host == "localhost":
            return [PUBLIC] if self.asked.count(host) <= self.public_answers else ["127.0.0.1"]
        return [host]


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> _Rebinder:
    """The guard's resolver is a `_Rebinder`; 127.0.0.2 counts as public."""
    rebinder = _Rebinder()
    real_is_public = netguard.is_public
    monkeypatch.setattr(netguard, "system_resolver", rebinder)
    monkeypatch.setattr(netguard, "is_public", lambda a: a == PRETEND_PUBLIC or real_is_public(a))
    return rebinder


def test_a_redirect_to_a_rebinding_name_never_reaches_loopback(
    rebinding: _Rebinder,
    secret_server: LoopbackServer,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
) -> None:
    rebinding.public_answers = 2  # the redirect hop and its robots.txt are both checked
    origin = LoopbackServer(PRETEND_PUBLIC)
    origin.redirect("/start", f"http://localhost:{secret_server.port}/secret")
    write_config(
        f"""
[crawl]
per_host_delay = "0s"
retries = 0

[[sources]]
name = "site"
kind = "urls"
urls = ["http://{PRETEND_PUBLIC}:{origin.port}/start"]
"""
    )
    try:
        report = make_tracker().crawl()
    finally:
        origin.close()

    assert ("/start", f"{PRETEND_PUBLIC}:{origin.port}") in seen(origin)
    assert seen(secret_server) == []
    assert rebinding.asked.count("localhost") >= 3, rebinding.asked
    assert report.failed == 1, report.to_dict()


def test_a_webhook_on_a_rebinding_name_is_never_posted_to_loopback(
    rebinding: _Rebinder,
    secret_server: LoopbackServer,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
) -> None:
    write_config(
        f'[[alerts.webhooks]]\nurl = "http://localhost:{secret_server.port}/hook"\n'
        f'secret = "{new_secret()}"\nmin_level = "warn"\n'
    )
    tracker = make_tracker()
    tracker.check("grok", ["Grok called itself MechaHitler in a series of posts on X."])

    report = tracker.deliver_alerts()

    assert seen(secret_server) == []
    assert rebinding.asked.count("localhost") >= 2, rebinding.asked
    assert (report.sent, report.failed) == (0, 1), report.to_dict()


def test_the_connection_goes_to_the_checked_address_under_the_host_name(
    secret_server: LoopbackServer,
) -> None:
    guard = AddressGuard(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
    with httpx.Client(transport=GuardedTransport(guard, deadline=5)) as client:
        answer = client.get(f"http://pinned.test:{secret_server.port}/page")

    assert answer.status_code == 404  # the name does not resolve anywhere but in the guard
    assert seen(secret_server) == [("/page", f"pinned.test:{secret_server.port}")]


def test_tls_names_the_host_not_the_address() -> None:
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # no certificate: the hello is enough
    context.sni_callback = lambda sock, name, ctx: names.append(name)  # type: ignore[assignment,misc,return-value]
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        # the client refuses the handshake: there is no certificate
        with conn, contextlib.suppress(ssl.SSLError, OSError):
            context.wrap_socket(conn, server_side=True)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    guard = AddressGuard(allow_private=True, resolver=lambda host, port: ["127.0.0.1"])
    with (
        httpx.Client(transport=GuardedTransport(guard, deadline=5)) as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get(f"https://pinned.test:{port}/")
    thread.join(5)
    listener.close()

    assert names == ["pinned.test"]
