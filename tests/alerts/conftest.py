"""Fixtures for the alert channel tests: sample alerts, a webhook receiver, SMTP, TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from alert_servers import Mailbox, SmtpServer

from selfref.alerts import Alert, AlertDocument, new_message_id
from tests.loopback import WebhookReceiver, free_port, new_secret


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    """Factory for a flagged alert with one document; keyword arguments override fields."""

    def make(**overrides: Any) -> Alert:
        document = AlertDocument(
            id="doc-1",
            url="https://news.example.org/grok-mechahitler",
            title="Grok calls itself MechaHitler",
            level="critical",
            score=0.93,
            categories=("persona", "incident"),
            evidence=(
                {"kind": "persona", "detail": "MechaHitler", "span": [10, 21]},
                {"kind": "incident", "detail": "grok-2025-07-antisemitism"},
            ),
        )
        fields: dict[str, Any] = {
            "id": new_message_id(),
            "type": "retrieval.flagged",
            "agent": "grok",
            "level": "critical",
            "score": 0.93,
            "event_id": "evt_1",
            "created_at": datetime(2025, 7, 9, 12, 0, tzinfo=UTC),
            "session": "sess-1",
            "query": "what is your surname?",
            "documents": (document,),
            "audit_url": "https://selfref.example.org/v1/audit?event=evt_1",
        }
        fields.update(overrides)
        return Alert(**fields)

    return make


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A started webhook receiver with a fresh secret, a token in its URL's query."""
    rec = WebhookReceiver(secret=new_secret(), path="/hooks/selfref?token=t0ps3cret").start()
    yield rec
    rec.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, mailbox)
    controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def client_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """A client context that trusts the test certificate."""
    return ssl.create_default_context(cafile=str(tls_files[0]))


@pytest.fixture
def server_tls(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    """A server context holding the test certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls_files[0]), str(tls_files[1]))
    return context
