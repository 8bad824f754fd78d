"""Webhook channel against a real signature-verifying receiver on loopback."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from selfref.alerts import Alert, WebhookChannel, parse_retry_after
from selfref.netguard import AddressGuard, BlockedAddressError, UnresolvableHostError
from selfref.plugins import CHANNELS
from tests.loopback import WebhookReceiver, new_secret


def test_delivers_a_signed_payload(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    alert = make_alert()
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        result = channel.send([alert])
    assert result.ok and result.status == 204 and result.error is None
    [got] = receiver.received
    assert got.verified
    assert got.headers["webhook-id"] == alert.id
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == "selfref/0.1"
    assert abs(int(got.headers["webhook-timestamp"]) - time.time()) < 60
    assert got.headers["webhook-signature"].startswith("v1,")
    assert json.loads(got.body) == alert.to_payload()


def test_receiver_down_then_back_gets_the_same_id(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    alert = make_alert()
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        assert channel.send([alert]).ok
        receiver.stop()
        down = channel.send([alert])
        assert not down.ok and not down.permanent and down.status is None
        assert f"127.0.0.1:{receiver.port}" in (down.error or "")
        assert "t0ps3cret" not in (down.error or "")  # paths and queries stay out of errors
        receiver.start()
        assert channel.send([alert]).ok
    assert [r.headers["webhook-id"] for r in receiver.received] == [alert.id, alert.id]
    assert all(r.verified for r in receiver.received)


def test_500_forever_is_retryable_with_the_same_id(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    receiver.mode = "500"
    alert = make_alert()
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        results = [channel.send([alert]) for _ in range(3)]
    assert all(not r.ok and not r.permanent and r.status == 500 for r in results)
    assert "mode 500" in (results[0].error or "")  # the start of the body is kept
    assert {r.headers["webhook-id"] for r in receiver.received} == {alert.id}
    assert len({r.headers["webhook-signature"] for r in receiver.received}) >= 1


def test_hanging_receiver_times_out(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    receiver.mode = "hang"  # no answer for 10 s, then the connection closes unanswered
    with WebhookChannel("ops", receiver.url, receiver.secret, timeout=0.3) as channel:
        result = channel.send([make_alert()])
    assert not result.ok and not result.permanent
    assert "timed out after 0.3 s" in (result.error or "")
    assert not receiver.hang_ended.is_set()  # it gave up while the receiver still hung


def test_410_disables_the_endpoint(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    receiver.mode = "410"
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        result = channel.send([make_alert()])
    assert not result.ok and result.permanent and result.disable and result.status == 410
    assert "disabled" in (result.error or "")


@pytest.mark.parametrize(("header", "expected"), [("7", 7.0), ("0", 0.0)])
def test_429_carries_retry_after(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert], header: str, expected: float
) -> None:
    receiver.mode, receiver.retry_after = "429", header
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        result = channel.send([make_alert()])
    assert not result.ok and not result.permanent and result.status == 429
    assert result.retry_after == expected


def test_429_with_an_http_date(receiver: WebhookReceiver, make_alert: Callable[..., Alert]) -> None:
    receiver.mode = "429"
    receiver.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=120), True)
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        result = channel.send([make_alert()])
    assert result.retry_after is not None and 100 < result.retry_after <= 120


def test_redirects_are_not_followed(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    receiver.mode = "redirect"
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        result = channel.send([make_alert()])
    assert not result.ok and result.permanent and not result.disable and result.status == 302
    assert "https://elsewhere.example.org/hook" in (result.error or "")
    assert len(receiver.received) == 1


def test_private_address_is_refused_by_the_guard(make_alert: Callable[..., Alert]) -> None:
    def must_not_be_called(request: httpx.Request) -> httpx.Response:
        raise AssertionError("request sent to a refused address")

    guard = AddressGuard(allow_private=False, resolver=lambda host, port: ["10.0.0.5"])
    channel = WebhookChannel(
        "ops",
        "https://hooks.example.org/selfref",
        new_secret(),
        transport=httpx.MockTransport(must_not_be_called),
        guard=guard,
    )
    with channel:
        result = channel.send([make_alert()])
    assert not result.ok and result.permanent and not result.disable
    assert "refused" in (result.error or "") and "10.0.0.5" in (result.error or "")


def test_dns_failure_is_retried_not_dead(make_alert: Callable[..., Alert]) -> None:
    answers: list[list[str] | OSError] = [
        socket.gaierror(-3, "Temporary failure in name resolution"),
        ["93.184.216.34"],
    ]

    def resolver(host: str, port: int) -> list[str]:
        answer = answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer

    channel = WebhookChannel(
        "ops",
        "https://hooks.example.org/selfref",
        new_secret(),
        transport=httpx.MockTransport(lambda request: httpx.Response(204)),
        guard=AddressGuard(allow_private=False, resolver=resolver),
    )
    with channel:
        first = channel.send([make_alert()])
        assert not first.ok and not first.permanent and not first.disable
        assert "cannot resolve hooks.example.org" in (first.error or "")
        assert channel.send([make_alert()]).ok


def test_guard_errors_tell_temporary_from_refused() -> None:
    def down(host: str, port: int) -> list[str]:
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    with pytest.raises(UnresolvableHostError) as unresolvable:
        AddressGuard(resolver=down)("https://hooks.example.org/x")
    assert isinstance(unresolvable.value, ValueError)  # the crawler's `except ValueError`
    assert not isinstance(unresolvable.value, BlockedAddressError)
    with pytest.raises(BlockedAddressError):
        AddressGuard(resolver=lambda host, port: ["10.0.0.5"])("https://hooks.example.org/x")


def test_loopback_receiver_refused_unless_allowed(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    strict = CHANNELS.build(
        "webhook", "ops", {"url": receiver.url, "secret": receiver.secret, "guard": AddressGuard()}
    )
    relaxed = CHANNELS.build(
        "webhook",
        "ops",
        {"url": receiver.url, "secret": receiver.secret, "guard": AddressGuard(allow_private=True)},
    )
    with strict, relaxed:
        assert strict.send([make_alert()]).permanent
        assert relaxed.send([make_alert()]).ok
    assert len(receiver.received) == 1


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://hooks.example.org/x"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": 42}, "url"),
        ({"secret": "c2VjcmV0c2VjcmV0"}, "secret"),
        ({"secret": "whsec_"}, "secret"),
        ({"secret": "whsec_not*base64!"}, "secret"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": "10s"}, "timeout"),
        ({"guard": "yes"}, "guard"),
        ({"min_level": "warn"}, "min_level"),
    ],
)
def test_bad_options_fail_at_build_time(options: dict[str, object], named: str) -> None:
    good = {"url": "https://hooks.example.org/selfref", "secret": new_secret()}
    with pytest.raises(ValueError, match=f"webhook channel 'ops': option '{named}'") as info:
        CHANNELS.build("webhook", "ops", good | options)
    assert "not*base64" not in str(info.value)  # secrets are never echoed


def test_constructor_validates_too() -> None:
    with pytest.raises(ValueError, match="'secret'"):
        WebhookChannel("ops", "https://hooks.example.org/", "hunter2")


def test_statuses_map_to_results(make_alert: Callable[..., Alert]) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), True)
    answers = {
        "/400": httpx.Response(400, text="bad payload"),
        "/401": httpx.Response(401),
        "/408": httpx.Response(408),
        "/503": httpx.Response(503, headers={"retry-after": later}),
        "/201": httpx.Response(201),
    }
    transport = httpx.MockTransport(lambda request: answers[request.url.path])

    def send(path: str) -> tuple[bool, bool, float | None]:
        url = f"https://hooks.example.org{path}"
        with WebhookChannel("ops", url, new_secret(), transport=transport) as channel:
            result = channel.send([make_alert()])
        return result.ok, result.permanent, result.retry_after

    assert send("/201") == (True, False, None)
    assert send("/400")[:2] == (False, True)
    assert send("/401")[:2] == (False, True)
    assert send("/408") == (False, False, None)
    ok, permanent, retry_after = send("/503")
    assert (ok, permanent) == (False, False) and retry_after is not None and retry_after > 20


def test_several_alerts_are_posted_one_by_one(
    receiver: WebhookReceiver, make_alert: Callable[..., Alert]
) -> None:
    alerts = [make_alert(), make_alert()]
    with WebhookChannel("ops", receiver.url, receiver.secret) as channel:
        assert channel.send(alerts).ok
        with pytest.raises(ValueError, match="at least one alert"):
            channel.send([])
    assert [r.headers["webhook-id"] for r in receiver.received] == [a.id for a in alerts]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("120", 120.0), (" 3 ", 3.0), ("-5", 0.0), ("soon", None), ("nan", None)],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_dates() -> None:
    now = datetime(2025, 7, 9, 12, 0, tzinfo=UTC)
    assert parse_retry_after("Wed, 09 Jul 2025 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("Wed, 09 Jul 2025 11:00:00 GMT", now) == 0.0
