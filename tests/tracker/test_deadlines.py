"""Deadlines, not read timeouts: a server that trickles its answer one byte at a time
cannot hold a crawl, a webhook or an SMTP delivery past its timeout, and a slow channel
never delays another one.

Each slow server below would keep a per-read timeout happy for half a minute or more (a
byte every half second) and gives up after 10 s; the deadline is 2 s. No test asserts a
time: each asserts that the client hung up while the server was still trickling, which a
client reading on until the server gives up never does, with the deadline's own error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from selfref import Level, Tracker
from selfref.alerts import EmailChannel, make_test_alert
from selfref.crawlers.settings import FetchSettings
from tests.loopback import LoopbackServer, Trickler, new_secret

DEADLINE = 2.0
GIVE_UP = 5 * DEADLINE  # when the servers stop trickling and close the connection
HEAD = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 5\r\n\r\nhello"


@pytest.fixture
def trickler() -> Iterator[Trickler]:
    server = Trickler(HEAD, give_up=GIVE_UP)
    yield server
    server.close()


def test_crawl_of_a_trickling_page_ends_by_its_deadline(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    # The page would take 36 s; the server gives up after 10 s, before the 20 s default
    # timeout, so only a crawl that keeps to its own 2 s deadline hangs up on it first.
    assert FetchSettings().timeout > GIVE_UP
    trickler = Trickler(HEAD, give_up=GIVE_UP)
    write_config(
        f"""
[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0
timeout = "{DEADLINE:g}s"

[[sources]]
name = "slow"
kind = "urls"
urls = ["{trickler.url("/page")}"]
"""
    )
    try:
        report = make_tracker().crawl()
        hung_up = trickler.hung_up.wait(timeout=GIVE_UP)
    finally:
        trickler.close()

    assert report.failed == 1, report.to_dict()
    assert any("Timeout" in failure for failure in report.failures), report.failures
    # robots.txt, then the page, which the crawl left while it was still trickling
    assert trickler.connections == 2
    assert hung_up and trickler.hangups == 1


def test_a_trickling_webhook_ends_by_its_deadline_and_delays_no_other_channel(
    trickler: Trickler, write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    fast = LoopbackServer()  # a webhook receiver answering 204 at once
    fast.add("/hook", status=204, content_type="text/plain")
    hooks = "".join(
        f'[[alerts.webhooks]]\nname = "{name}"\nurl = "{url}"\nsecret = "{new_secret()}"\n'
        f'min_level = "warn"\ntimeout = "{DEADLINE:g}s"\n\n'
        for name, url in (("slow", trickler.url("/hook")), ("fast", fast.url("/hook")))
    )
    write_config("[crawl]\nallow_private_addresses = true\n\n" + hooks)
    tracker = make_tracker()
    result = tracker.check(
        "grok", ["Grok called itself MechaHitler in a series of posts on X in July 2025."]
    )
    assert result.verdicts[0].level >= Level.WARN
    try:
        report = tracker.deliver_alerts()
        hung_up = trickler.hung_up.wait(timeout=GIVE_UP)
    finally:
        fast.close()

    assert (report.sent, report.failed) == (1, 1), report.to_dict()
    (slow,) = [a for a in tracker.alerts() if a.channel == "slow"]
    assert "timed out after 2 s" in (slow.last_error or ""), slow
    # the slow channel hung up at its deadline, while the server still trickled
    assert trickler.connections == 1
    assert hung_up and trickler.hangups == 1 and trickler.hung_up_at is not None
    # the fast channel was not kept waiting for the slow one's deadline: its POST arrived
    # before the slow channel gave up
    arrived = [r.at for r in fast.requests if r.method == "POST"]
    assert len(arrived) == 1 and arrived[0] < trickler.hung_up_at, arrived


def test_a_trickling_smtp_server_ends_by_the_deadline() -> None:
    # The greeting alone would take 70 s; the server gives up after 10 s.
    server = Trickler(b"220 mail.example.org ESMTP ready\r\n" * 4, http=False, give_up=GIVE_UP)
    channel = EmailChannel(
        "email",
        smtp_host="127.0.0.1",
        smtp_port=server.port,
        sender="selfref@example.org",
        to=["oncall@example.org"],
        timeout=DEADLINE,
    )
    try:
        result = channel.send([make_test_alert()])
        hung_up = server.hung_up.wait(timeout=GIVE_UP)
    finally:
        server.close()

    assert not result.ok and not result.permanent, result
    assert "timed out after 2 s" in (result.error or ""), result
    # the session ended at its deadline, while the server still trickled its greeting
    assert hung_up and server.hangups == 1
