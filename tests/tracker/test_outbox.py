"""The alert outbox with real components: a signature-verifying HTTP receiver and aiosmtpd.

Alert rows are written in the audit transaction; delivery is driven by an injected clock
(no sleeping): retries, dead alerts, 410 disabling, digests, rate limits, restarts.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlmodel import func, select

from selfref import StorageError, Tracker
from selfref.alerts import RetryPolicy
from selfref.audit import RetrievalEvent
from selfref.bus import Transaction
from selfref.events import AlertDead, AlertDelivered, AlertQueued, RetrievalChecked
from selfref.outbox.enqueue import dedup_key
from selfref.outbox.schema import AlertRow
from tests.loopback import WebhookReceiver, free_port, new_secret

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
WARN = (
    "In May 2025 Grok made unprompted claims about white genocide in South Africa, "
    "which xAI blamed on an unauthorised prompt change."
)
NEWS = "xAI released Grok 4 with a new pricing tier and API access for developers."


# -- real servers on loopback -------------------------------------------------------------


class Mailbox:
    """aiosmtpd handler keeping every accepted message."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        self.messages.append(
            email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[arg-type]
        )
        return "250 Message accepted for delivery"


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    rec = WebhookReceiver(secret=new_secret()).start()
    yield rec
    rec.stop()


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, mailbox
    controller.stop()


def webhook_toml(url: str, secret: str, **extra: Any) -> str:
    lines = ["[[alerts.webhooks]]", f'url = "{url}"', f'secret = "{secret}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


def email_toml(port: int, **extra: Any) -> str:
    lines = [
        "[alerts.email]",
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {port}",
        'sender = "selfref@example.org"',
        'to = ["oncall@example.org"]',
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


PRIVATE_OK = "[crawl]\nallow_private_addresses = true\n"


@pytest.fixture
def hook_tracker(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> Tracker:
    """A tracker with one webhook `ops` (min_level critical) to the receiver."""
    write_config(
        PRIVATE_OK
        + webhook_toml(receiver.url, receiver.secret, name="ops", min_level="critical")
    )
    return make_tracker(clock=clock)


def critical(tracker: Tracker, url: str = "https://news.example.org/grok-mechahitler") -> str:
    result = tracker.check(
        "grok",
        [{"id": "d1", "text": PERSONA, "url": url, "title": "Grok calls itself MechaHitler"}],
        query="what is your surname?",
        session="sess-1",
    )
    assert result.event_id is not None
    return result.event_id


def rows(tracker: Tracker) -> list[AlertRow]:
    with tracker.audit_log.session() as s:
        return list(s.exec(select(AlertRow).order_by(AlertRow.created_at)).all())


# -- writing ------------------------------------------------------------------------------


def test_critical_check_writes_one_alert_row_with_the_event(hook_tracker: Tracker) -> None:
    event_id = critical(hook_tracker)
    [row] = rows(hook_tracker)
    assert row.id.startswith("msg_") and row.event_id == event_id
    assert (row.channel, row.agent, row.level, row.status) == ("ops", "grok", "critical", "pending")
    assert row.attempts == 0 and row.hits == 1
    payload = json.loads(row.payload)
    assert payload["type"] == "retrieval.flagged"
    assert payload["data"]["documents"][0]["url"] == "https://news.example.org/grok-mechahitler"


def test_no_alert_row_when_the_audit_write_fails(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    import sqlalchemy as sa

    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, name="ops"))
    tracker = make_tracker()
    written: list[int] = []

    def failing_write(event: RetrievalChecked, tx: Transaction) -> None:
        # runs after the outbox, in the same transaction: its row is there, then a write fails
        conn = tx.connection
        written.append(conn.execute(select(func.count()).select_from(AlertRow)).scalar_one())
        conn.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

    tracker.events.before_commit(RetrievalChecked, failing_write)
    with pytest.raises(StorageError, match="no_such_table"):
        critical(tracker)
    assert written == [1]  # the alert row had been written, inside the transaction
    with tracker.audit_log.session() as s:
        assert s.exec(select(func.count()).select_from(RetrievalEvent)).one() == 0
    assert rows(tracker) == []


def test_dedup_within_window_counts_hits_then_a_new_alert(
    hook_tracker: Tracker, clock: Any
) -> None:
    critical(hook_tracker, "https://news.example.org/grok-mechahitler?utm_source=x")
    clock.advance(hours=1)
    critical(hook_tracker, "https://NEWS.example.org/grok-mechahitler")  # same canonical URL
    [row] = rows(hook_tracker)
    assert row.hits == 2
    critical(hook_tracker, "https://other.example.org/story")  # other material: new alert
    assert [r.hits for r in rows(hook_tracker)] == [2, 1]
    clock.advance(hours=24)  # past the 24h dedup_window: alert again
    critical(hook_tracker, "https://news.example.org/grok-mechahitler")
    assert [r.hits for r in rows(hook_tracker)] == [2, 1, 1]


def test_dedup_never_folds_into_a_dead_alert(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    url = f"http://localhost:{receiver.port}/hooks/selfref"  # refused: private address
    write_config(webhook_toml(url, receiver.secret, name="ops"))
    tracker = make_tracker(clock=clock)
    critical(tracker)
    assert tracker.deliver_alerts().dead == 1
    clock.advance(minutes=5)
    critical(tracker)  # same material, within the window: a new alert, not a hit on the dead one
    assert [(r.status, r.hits) for r in rows(tracker)] == [("dead", 1), ("pending", 1)]


def test_dedup_key_separates_agents_material_and_incidents(hook_tracker: Tracker) -> None:
    import dataclasses

    result = hook_tracker.check("grok", [{"text": PERSONA, "url": "https://news.example.org/a"}])
    doc, verdict = result.documents[0], result.verdicts[0]
    base = dedup_key("grok", [(doc, verdict)])
    assert [r.dedup_key for r in rows(hook_tracker)] == [base]
    assert dedup_key("claude", [(doc, verdict)]) != base
    other = dataclasses.replace(doc, url="https://elsewhere.example.org/x")
    assert dedup_key("grok", [(other, verdict)]) != base
    no_incident = dataclasses.replace(verdict, evidence=[])
    assert dedup_key("grok", [(doc, no_incident)]) != base


def test_below_min_level_makes_no_alert(hook_tracker: Tracker) -> None:
    result = hook_tracker.check("grok", [WARN, NEWS])
    assert result.max_level.label == "warn"  # webhook min_level is critical
    assert rows(hook_tracker) == []


def test_alert_lists_only_documents_at_or_above_min_level(hook_tracker: Tracker) -> None:
    hook_tracker.check("grok", [{"id": "w", "text": WARN}, {"id": "c", "text": PERSONA}])
    [row] = rows(hook_tracker)
    assert [d["id"] for d in json.loads(row.payload)["data"]["documents"]] == ["c"]


# -- delivering ---------------------------------------------------------------------------


def test_webhook_delivery_is_signed_and_carries_the_verdicts(
    hook_tracker: Tracker, receiver: WebhookReceiver
) -> None:
    event_id = critical(hook_tracker)
    report = hook_tracker.deliver_alerts()
    assert (report.sent, report.failed, report.pending) == (1, 0, 0)
    [got] = receiver.received
    assert got.verified
    [row] = rows(hook_tracker)
    assert got.headers["webhook-id"] == row.id
    assert row.status == "delivered" and row.attempts == 1 and row.delivered_at is not None
    data = got.payload["data"]
    assert got.payload["type"] == "retrieval.flagged"
    assert (data["agent"], data["level"], data["event_id"]) == ("grok", "critical", event_id)
    assert data["query"] == "what is your surname?" and data["session"] == "sess-1"
    [doc] = data["documents"]
    assert doc["url"] == "https://news.example.org/grok-mechahitler"
    assert doc["title"] == "Grok calls itself MechaHitler"
    assert any(e["kind"] == "persona" and e["detail"] == "MechaHitler" for e in doc["evidence"])
    assert hook_tracker.deliver_alerts().sent == 0  # never sent twice on success
    assert len(receiver.received) == 1


def test_alerts_queued_delivered_and_dead_are_published_and_counted_per_channel(
    hook_tracker: Tracker, receiver: WebhookReceiver, clock: Any
) -> None:
    hook_tracker.metrics  # noqa: B018  (counting starts at first use)
    seen: list[object] = []
    for kind in (AlertQueued, AlertDelivered, AlertDead):
        hook_tracker.events.after_commit(kind, seen.append)
    event_id = critical(hook_tracker)
    critical(hook_tracker)  # same material within the dedup window: a hit, nothing queued
    hook_tracker.deliver_alerts()
    receiver.mode = "400"  # permanent: dead at once
    clock.advance(minutes=1)
    critical(hook_tracker, "https://other.example.org/story")
    hook_tracker.deliver_alerts()

    delivered_row, dead_row = rows(hook_tracker)
    assert seen == [
        AlertQueued(delivered_row.id, "ops", "grok", "critical", event_id),
        AlertDelivered(delivered_row.id, "ops"),
        AlertQueued(dead_row.id, "ops", "grok", "critical", dead_row.event_id),
        AlertDead(dead_row.id, "ops", 1, dead_row.last_error),
    ]
    assert dead_row.status == "dead" and "400" in (dead_row.last_error or "")
    lines = set(hook_tracker.metrics.render().decode().splitlines())
    assert 'selfref_alerts_queued_total{channel="ops"} 2.0' in lines
    assert 'selfref_alerts_delivered_total{channel="ops"} 1.0' in lines
    assert 'selfref_alerts_dead_total{channel="ops"} 1.0' in lines


def test_audit_link_when_base_url_configured(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    write_config(
        PRIVATE_OK
        + '[api]\nbase_url = "https://selfref.example.org/"\n'
        + webhook_toml(receiver.url, receiver.secret)
    )
    tracker = make_tracker()
    event_id = critical(tracker)
    tracker.deliver_alerts()
    data = receiver.verified[0].payload["data"]
    assert data["audit_url"] == f"https://selfref.example.org/v1/audit?event={event_id}"


def test_email_delivery_subject_names_agent_and_level(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    smtp: tuple[int, Mailbox],
) -> None:
    port, mailbox = smtp
    write_config(email_toml(port))
    tracker = make_tracker()
    critical(tracker)
    assert tracker.deliver_alerts().sent == 1
    [mail] = mailbox.messages
    assert "grok" in mail["subject"] and "CRITICAL" in mail["subject"]
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "MechaHitler" in text and "https://news.example.org/grok-mechahitler" in text


def test_receiver_down_then_back_delivers_exactly_once(
    hook_tracker: Tracker, receiver: WebhookReceiver, clock: Any
) -> None:
    receiver.stop()
    critical(hook_tracker)
    report = hook_tracker.deliver_alerts()
    assert (report.sent, report.failed, report.pending) == (0, 1, 1)
    [row] = rows(hook_tracker)
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error and "refused" in row.last_error.lower()
    next_at = row.next_attempt_at.replace(tzinfo=dt.UTC)
    assert clock.now < next_at <= clock.now + dt.timedelta(seconds=10)
    receiver.start()  # same port
    assert hook_tracker.deliver_alerts().sent == 0  # not due yet
    clock.advance(seconds=10)
    assert hook_tracker.deliver_alerts().sent == 1
    assert hook_tracker.deliver_alerts().sent == 0
    clock.advance(hours=1)
    assert hook_tracker.deliver_alerts().sent == 0
    assert len(receiver.verified) == 1
    [row] = rows(hook_tracker)
    assert (row.status, row.attempts) == ("delivered", 2)


def test_500_forever_ends_dead_and_visible(
    hook_tracker: Tracker, receiver: WebhookReceiver, clock: Any
) -> None:
    from click.testing import CliRunner

    from selfref.cli import cli

    receiver.mode = "500"
    critical(hook_tracker)
    attempts = RetryPolicy().max_attempts
    for _ in range(attempts):
        hook_tracker.deliver_alerts()
        clock.advance(hours=13)  # beyond the longest backoff step with jitter
    assert len(receiver.received) == attempts
    [row] = rows(hook_tracker)
    assert (row.status, row.attempts) == ("dead", attempts)
    assert row.last_error and "500" in row.last_error
    assert hook_tracker.deliver_alerts().sent == 0
    assert len(receiver.received) == attempts
    out = CliRunner().invoke(cli, ["alerts", "list", "--status", "dead", "--format", "jsonl"])
    assert out.exit_code == 0, out.output
    [listed] = [json.loads(line) for line in out.output.splitlines()]
    assert listed["id"] == row.id and listed["attempts"] == attempts
    assert "500" in listed["last_error"]


def test_hanging_receiver_times_out_and_is_retried(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, timeout="300ms"))
    tracker = make_tracker(clock=clock)
    receiver.mode = "hang"
    critical(tracker)
    report = tracker.deliver_alerts()
    assert (report.failed, report.pending) == (1, 1)
    [row] = rows(tracker)
    assert row.attempts == 1 and "timed out after 0.3 s" in (row.last_error or "")
    receiver.mode = "ok"
    clock.advance(seconds=10)
    assert tracker.deliver_alerts().sent == 1


def test_410_disables_the_channel_and_says_so(
    hook_tracker: Tracker, receiver: WebhookReceiver, clock: Any
) -> None:
    receiver.mode = "410"
    critical(hook_tracker, "https://a.example.org/1")
    critical(hook_tracker, "https://b.example.org/2")
    report = hook_tracker.deliver_alerts()
    assert report.disabled == 2 and report.sent == 0
    assert "disabled" in report.disabled_channels["ops"]
    assert len(receiver.received) == 1  # stopped at the 410
    assert {(r.status, r.last_error is not None) for r in rows(hook_tracker)} == {
        ("disabled", True)
    }
    critical(hook_tracker, "https://c.example.org/3")
    clock.advance(minutes=1)
    report = hook_tracker.deliver_alerts()
    assert report.disabled == 1 and "ops" in report.disabled_channels
    assert len(receiver.received) == 1


KILLED_WRITER = f"""
import os
from selfref import Tracker
from selfref.config import load_config
tracker = Tracker(load_config())
result = tracker.check(
    "grok", [{{"id": "d1", "text": {PERSONA!r}, "url": "https://news.example.org/grok"}}]
)
print(result.event_id, flush=True)
os._exit(1)  # killed between writing the alert and delivering it: no cleanup, no close
"""


def test_alert_written_by_a_killed_process_is_delivered_by_the_next(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    import subprocess
    import sys

    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret))
    make_tracker().close()  # seeds the home's index for the child
    child = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER], capture_output=True, text=True, timeout=120
    )
    assert child.returncode == 1, child.stderr
    event_id = child.stdout.strip().splitlines()[-1]
    assert event_id.startswith("evt_") and receiver.received == []
    second = make_tracker()
    [row] = rows(second)
    assert (row.status, row.event_id) == ("pending", event_id)
    assert second.deliver_alerts().sent == 1
    assert second.deliver_alerts().sent == 0
    [got] = receiver.verified
    assert got.payload["data"]["event_id"] == event_id


def test_email_digest_batches_alerts_into_one_mail(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    smtp: tuple[int, Mailbox],
    clock: Any,
) -> None:
    port, mailbox = smtp
    write_config(email_toml(port, digest="1h"))
    tracker = make_tracker(clock=clock)
    for n in range(3):
        critical(tracker, f"https://news.example.org/story-{n}")
        clock.advance(minutes=10)
    report = tracker.deliver_alerts()  # 30 minutes in: nothing due yet
    assert (report.sent, report.pending) == (0, 3)
    clock.advance(minutes=31)
    assert tracker.deliver_alerts().sent == 3
    [mail] = mailbox.messages
    assert "3 alerts for grok" in mail["subject"]
    critical(tracker, "https://news.example.org/story-late")
    clock.advance(minutes=61)
    assert tracker.deliver_alerts().sent == 1
    assert len(mailbox.messages) == 2


def test_rate_limit_keeps_alerts_pending_until_the_window_allows(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, rate_limit=2))
    tracker = make_tracker(clock=clock)
    for n in range(3):
        critical(tracker, f"https://news.example.org/story-{n}")
    report = tracker.deliver_alerts()
    assert (report.sent, report.pending) == (2, 1)
    assert tracker.deliver_alerts().sent == 0  # same minute
    clock.advance(seconds=61)
    assert tracker.deliver_alerts().sent == 1
    assert len(receiver.verified) == 3


def test_two_deliverers_send_each_alert_once(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, name="ops"))
    first = make_tracker(clock=clock)
    for n in range(3):
        critical(first, f"https://news.example.org/story-{n}")
    later = type(clock)(clock.now + dt.timedelta(minutes=6))
    second = make_tracker(clock=later)
    reports = []

    def slow(count: int) -> None:
        clock.advance(minutes=2)  # each POST takes the first deliverer 2 minutes
        if count == 3:  # 6 minutes in, past the first claim's 5-minute lease
            reports.append(second.deliver_alerts())

    receiver.on_post = slow
    report = first.deliver_alerts()
    receiver.on_post = None
    ids = [got.headers["webhook-id"] for got in receiver.received]
    assert len(ids) == 3 and len(set(ids)) == 3
    assert report.sent == 3 and reports[0].sent == 0
    assert [r.status for r in rows(first)] == ["delivered"] * 3
    assert all(r.lease_token is None and r.attempts == 1 for r in rows(first))


def test_unnamed_webhooks_keep_their_names_when_another_is_removed(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    from selfref.alerting import default_webhook_name

    gone = f"http://127.0.0.1:{free_port()}/hooks/other"
    write_config(
        PRIVATE_OK + webhook_toml(gone, new_secret()) + webhook_toml(receiver.url, receiver.secret)
    )
    critical(make_tracker())
    by_channel = {r.channel: r for r in rows(make_tracker())}
    assert set(by_channel) == {default_webhook_name(gone), default_webhook_name(receiver.url)}
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret))  # first one removed
    report = make_tracker().deliver_alerts()
    assert (report.sent, report.suppressed) == (1, 1)
    [got] = receiver.verified
    assert got.headers["webhook-id"] == by_channel[default_webhook_name(receiver.url)].id
    statuses = {r.channel: r.status for r in rows(make_tracker())}
    assert statuses[default_webhook_name(gone)] == "suppressed"


def test_channel_pointed_elsewhere_suppresses_its_pending_alerts_visibly(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    old = f"http://127.0.0.1:{free_port()}/hooks/old"  # nothing listens there
    write_config(PRIVATE_OK + webhook_toml(old, receiver.secret, name="ops"))
    tracker = make_tracker(clock=clock)
    critical(tracker)
    assert tracker.deliver_alerts().failed == 1
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, name="ops"))
    moved = make_tracker(clock=clock)
    clock.advance(minutes=1)
    report = moved.deliver_alerts()
    assert (report.sent, report.suppressed) == (0, 1) and receiver.received == []
    [row] = rows(moved)
    assert row.status == "suppressed" and "another destination" in (row.last_error or "")
    critical(moved)  # a new alert for the new destination, not folded into the old one
    assert moved.deliver_alerts().sent == 1 and len(receiver.verified) == 1


def test_private_address_refused_by_the_guard_unless_allowed(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    url = f"http://localhost:{receiver.port}/hooks/selfref"
    write_config(webhook_toml(url, receiver.secret, name="ops"))
    tracker = make_tracker()
    critical(tracker)
    report = tracker.deliver_alerts()
    assert report.dead == 1 and receiver.received == []
    [row] = rows(tracker)
    assert row.status == "dead" and "non-public address" in (row.last_error or "")
    assert not tracker.test_alert("ops").ok
    tracker.close()

    write_config(PRIVATE_OK + webhook_toml(url, receiver.secret, name="ops"))
    allowed = make_tracker()
    critical(allowed, "https://news.example.org/another")
    assert allowed.deliver_alerts().sent == 1
    assert len(receiver.verified) == 1


def test_unresolvable_webhook_host_keeps_alerts_pending(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    url = "https://selfref-test.invalid/hooks/selfref"  # .invalid never resolves
    write_config(webhook_toml(url, receiver.secret, name="ops"))
    tracker = make_tracker()
    critical(tracker, "https://a.example.org/1")
    critical(tracker, "https://b.example.org/2")
    report = tracker.deliver_alerts()
    assert (report.failed, report.dead, report.pending) == (1, 0, 2)
    assert {r.status for r in rows(tracker)} == {"pending"}
    assert any("cannot resolve" in (r.last_error or "") for r in rows(tracker))


def test_removed_channel_alerts_are_suppressed(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    smtp: tuple[int, Mailbox],
) -> None:
    write_config(PRIVATE_OK + webhook_toml(receiver.url, receiver.secret, name="ops"))
    critical(make_tracker())
    write_config(email_toml(smtp[0]))
    report = make_tracker().deliver_alerts()
    assert report.suppressed == 1 and report.sent == 0
    assert receiver.received == []


def test_test_alert_unknown_channel_lists_the_configured_ones(hook_tracker: Tracker) -> None:
    from selfref import ConfigError

    with pytest.raises(ConfigError, match="configured channels: ops"):
        hook_tracker.test_alert("nope")


def test_no_channel_no_alert(make_tracker: Callable[..., Tracker]) -> None:
    tracker = make_tracker()
    critical(tracker)
    assert tracker.alerts() == []
    assert str(tracker.deliver_alerts()).startswith("sent 0")


@pytest.mark.postgres
def test_outbox_on_postgresql(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
    clock: Any,
) -> None:
    import sqlalchemy as sa

    base = os.environ.get(
        "SELFREF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    schema = f"outbox_{os.urandom(4).hex()}"
    try:
        admin = sa.create_engine(base, connect_args={"connect_timeout": 2})
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {base}: {exc}")
    try:
        url = f"{base}?options=-csearch_path%3D{schema}"
        write_config(
            f'[storage]\ndatabase_url = "{url}"\n'
            + PRIVATE_OK
            + webhook_toml(receiver.url, receiver.secret, name="ops")
        )
        tracker = make_tracker(clock=clock)
        receiver.stop()
        critical(tracker)
        critical(tracker)
        [row] = rows(tracker)
        assert row.hits == 2
        assert tracker.deliver_alerts().failed == 1
        receiver.start()
        clock.advance(seconds=10)
        assert tracker.deliver_alerts().sent == 1
        assert len(receiver.verified) == 1
        assert [r.status for r in tracker.alerts()] == ["delivered"]
        tracker.close()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
