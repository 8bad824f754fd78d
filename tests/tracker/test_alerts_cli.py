"""`selfref alerts list | deliver | test CHANNEL` against real receivers on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from test_outbox import (
    PRIVATE_OK,
    Mailbox,
    critical,
    email_toml,
    free_port,
    new_secret,
    webhook_toml,
)

from selfref import Tracker
from selfref.alerting import default_webhook_name
from selfref.cli import cli
from tests.loopback import WebhookReceiver


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver(secret=new_secret()).start()
    yield rec
    rec.stop()


@pytest.fixture
def mail() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def both(
    write_config: Callable[[str], Path], hook: WebhookReceiver, mail: tuple[int, Mailbox]
) -> tuple[WebhookReceiver, Mailbox]:
    write_config(
        PRIVATE_OK + webhook_toml(hook.url, hook.secret, name="ops") + email_toml(mail[0])
    )
    return hook, mail[1]


def test_alerts_commands_have_help() -> None:
    for command in ("list", "deliver", "test"):
        out = run("alerts", command, "--help")
        assert out.exit_code == 0 and len(out.output.splitlines()) > 2


def test_alerts_test_webhook(both: tuple[WebhookReceiver, Mailbox]) -> None:
    hook, _ = both
    out = run("alerts", "test", "ops")
    assert out.exit_code == 0, out.output
    assert "delivered through 'ops' (204)" in out.output
    [got] = hook.received
    assert got.verified and got.payload["type"] == "selfref.test"
    assert got.payload["data"]["documents"][0]["title"].startswith("TEST")


def test_alerts_test_email(both: tuple[WebhookReceiver, Mailbox]) -> None:
    _, mailbox = both
    out = run("alerts", "test", "email")
    assert out.exit_code == 0, out.output
    [message] = mailbox.messages
    assert "TEST" in message["subject"]


def test_alerts_test_unknown_channel_lists_names(both: tuple[WebhookReceiver, Mailbox]) -> None:
    out = run("alerts", "test", "pager")
    assert out.exit_code == 2
    assert "configured channels: ops, email" in out.output
    assert len(out.output.strip().splitlines()) == 1


def test_alerts_test_failure_is_one_line_exit_2(
    write_config: Callable[[str], Path],
) -> None:
    port = free_port()  # nothing listens there
    hook = default_webhook_name(f"http://127.0.0.1:{port}/hook")
    write_config(
        PRIVATE_OK
        + webhook_toml(f"http://127.0.0.1:{port}/hook", new_secret())
        + email_toml(port)
    )
    for channel, expected in ((hook, "ConnectError"), ("email", "cannot reach SMTP")):
        out = run("alerts", "test", channel)
        assert out.exit_code == 2
        assert expected in out.output and len(out.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("url", "secret", "problem"),
    [
        ("http://", None, "alerts.webhooks[0]: webhook channel 'webhook-"),
        ("http://[::1/hook", None, "option 'url'"),
        ("ftp://example.org/hook", None, "alerts.webhooks.0.url"),
        ("https://example.org/hook", "not-a-secret", "whsec_"),
        ("https://example.org/hook", "whsec_!!!", "option 'secret'"),
    ],
)
def test_bad_webhook_config_is_a_config_error(
    write_config: Callable[[str], Path], url: str, secret: str | None, problem: str
) -> None:
    write_config(webhook_toml(url, secret or new_secret()))
    out = run("alerts", "list")
    assert out.exit_code == 2
    line = out.output.strip()
    assert line.startswith("selfref: error:") and len(line.splitlines()) == 1
    assert problem.replace(".0.", "[0].") in line or problem in line
    if secret:
        assert secret not in line.replace("'secret'", "")


def test_deliver_then_list(
    both: tuple[WebhookReceiver, Mailbox], make_tracker: Callable[..., Tracker]
) -> None:
    hook, mailbox = both
    tracker = make_tracker()
    critical(tracker)
    tracker.close()
    listed = run("alerts", "list", "--status", "pending", "--format", "jsonl")
    assert listed.exit_code == 0, listed.output
    records = [json.loads(line) for line in listed.output.splitlines()]
    assert sorted(r["channel"] for r in records) == ["email", "ops"]
    assert all(r["attempts"] == 0 and r["next_attempt_at"] for r in records)
    out = run("alerts", "deliver")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("sent 2, failed 0, dead 0")
    assert len(hook.verified) == 1 and len(mailbox.messages) == 1
    table = run("alerts", "list", "--format", "table")
    assert table.exit_code == 0 and "delivered" in table.output


def test_deliver_reports_a_disabled_channel(
    both: tuple[WebhookReceiver, Mailbox], make_tracker: Callable[..., Tracker]
) -> None:
    hook, _ = both
    hook.mode = "410"
    critical(make_tracker())
    out = run("alerts", "deliver")
    assert out.exit_code == 0, out.output
    assert "channel 'ops' is disabled" in out.output
    listed = run("alerts", "list", "--status", "disabled", "--format", "jsonl")
    [record] = [json.loads(line) for line in listed.output.splitlines()]
    assert "410" in record["last_error"]


def test_list_shows_alerts_held_by_a_lease_and_when_they_free(
    both: tuple[WebhookReceiver, Mailbox], make_tracker: Callable[..., Tracker]
) -> None:
    import datetime as dt

    import sqlalchemy as sa

    from selfref.outbox.schema import AlertRow

    tracker = make_tracker()
    critical(tracker)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    with tracker.audit_log.session() as s:  # what the claim of a delivery run killed since left
        s.exec(
            sa.update(AlertRow)
            .where(AlertRow.channel == "ops")  # type: ignore[arg-type]
            .values(lease_until=until, lease_token="killed-run")
        )
    tracker.close()

    listed = run("alerts", "list", "--format", "jsonl")
    assert listed.exit_code == 0, listed.output
    held = {r["channel"]: r["held_until"] for r in map(json.loads, listed.output.splitlines())}
    assert held["email"] is None
    assert dt.datetime.fromisoformat(held["ops"]) == until
