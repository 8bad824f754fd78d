"""Email channel against a real aiosmtpd server on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from alert_servers import Mailbox, SmtpServer

from selfref.alerts import Alert, AlertDocument, EmailChannel, make_test_alert
from selfref.plugins import CHANNELS
from tests.loopback import free_port


def channel_for(server: SmtpServer, **options: Any) -> EmailChannel:
    """An email channel pointed at `server`."""
    return EmailChannel(
        "oncall",
        smtp_host=server.host,
        smtp_port=server.port,
        sender="selfref@example.org",
        to=["oncall@example.org", "lead@example.org"],
        **options,
    )


def received(server: SmtpServer, index: int = 0) -> EmailMessage:
    """The `index`th message the server accepted, parsed."""
    content = server.mailbox.envelopes[index].content
    assert isinstance(content, bytes)
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())


def test_single_alert_mail(smtp_server: SmtpServer, make_alert: Callable[..., Alert]) -> None:
    alert = make_alert(hits=3)
    result = channel_for(smtp_server).send([alert])
    assert result.ok and result.error is None
    envelope = smtp_server.mailbox.envelopes[0]
    assert envelope.mail_from == "selfref@example.org"
    assert envelope.rcpt_tos == ["oncall@example.org", "lead@example.org"]
    message = received(smtp_server)
    assert message["Subject"] == "[selfref] CRITICAL: grok read material about its own past"
    assert message["Message-ID"] == f"<{alert.id}@selfref>"
    assert message.get_content_type() == "multipart/alternative"
    plain, html = parts(message)
    for body in (plain, html):
        for fact in (
            "grok",
            "critical",
            "0.93",
            "what is your surname?",
            "sess-1",
            "evt_1",
            "Grok calls itself MechaHitler",
            "https://news.example.org/grok-mechahitler",
            "persona: MechaHitler (chars 10-21)",
            "grok-2025-07-antisemitism",
            "3 identical retrievals",
        ):
            assert fact in body, fact
    assert "https://selfref.example.org/v1/audit?event=evt_1" in plain
    assert 'href="https://selfref.example.org/v1/audit?event=evt_1"' in html
    assert "TEST" not in plain


def test_html_part_escapes_everything(
    smtp_server: SmtpServer, make_alert: Callable[..., Alert]
) -> None:
    hostile = AlertDocument(
        id="doc-2",
        url="javascript:alert(1)",
        title="<b>Sydney</b> & friends",
        level="warn",
        score=0.5,
        categories=("<i>jailbreak</i>",),
        evidence=({"kind": "quote", "detail": '<script>alert("x")</script>'},),
    )
    alert = make_alert(documents=(hostile,), query="<img src=x onerror=alert(1)>")
    assert channel_for(smtp_server).send([alert]).ok
    plain, html = parts(received(smtp_server))
    assert "<script>" not in html and "<img" not in html and "<b>Sydney" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;Sydney&lt;/b&gt; &amp; friends" in html
    assert "&lt;i&gt;jailbreak&lt;/i&gt;" in html
    assert 'href="javascript' not in html
    assert '<script>alert("x")</script>' in plain  # plain text shows it as written


def test_digest_mail(smtp_server: SmtpServer, make_alert: Callable[..., Alert]) -> None:
    alerts = [
        make_alert(agent="grok", level="warn", score=0.6),
        make_alert(agent="claude", level="critical"),
        make_alert(agent="grok", level="warn", score=0.7),
        make_alert(agent="chatgpt", level="warn", score=0.55),
        make_alert(agent="claude", level="warn", score=0.65),
    ]
    channel = channel_for(smtp_server)
    assert channel.send(alerts).ok
    message = received(smtp_server)
    assert message["Subject"] == "[selfref] 5 alerts for grok, claude, chatgpt (highest: critical)"
    assert message["Message-ID"] == channel.compose(alerts)["Message-ID"]  # stable on retry
    plain, html = parts(message)
    for alert in alerts:
        assert alert.id in plain and alert.id in html


def test_test_alert_is_marked(smtp_server: SmtpServer) -> None:
    assert channel_for(smtp_server).send([make_test_alert("grok")]).ok
    message = received(smtp_server)
    assert message["Subject"].startswith("[selfref] TEST:")
    plain, html = parts(message)
    assert plain.startswith("TEST ALERT:") and "TEST ALERT:" in html


def test_unreachable_smtp_host_is_retryable(make_alert: Callable[..., Alert]) -> None:
    server = SmtpServer("127.0.0.1", free_port(), Mailbox())
    result = channel_for(server).send([make_alert()])
    assert not result.ok and not result.permanent
    assert f"cannot reach SMTP server 127.0.0.1:{server.port}" in (result.error or "")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener completes TCP handshakes but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_silent_smtp_server_times_out(silent_port: int, make_alert: Callable[..., Alert]) -> None:
    server = SmtpServer("127.0.0.1", silent_port, Mailbox())
    # The listener never speaks nor closes: only the session's deadline ends the send.
    result = channel_for(server, timeout=0.3).send([make_alert()])
    assert not result.ok and not result.permanent
    assert "timed out after 0.3 s" in (result.error or "")


def test_all_recipients_refused_is_permanent(
    smtp_server: SmtpServer, make_alert: Callable[..., Alert]
) -> None:
    smtp_server.mailbox.refuse = {"oncall@example.org", "lead@example.org"}
    result = channel_for(smtp_server).send([make_alert()])
    assert not result.ok and result.permanent
    assert "refused every recipient" in (result.error or "")
    assert "550" in (result.error or "")


def test_some_recipients_refused_still_delivers(
    smtp_server: SmtpServer, make_alert: Callable[..., Alert]
) -> None:
    smtp_server.mailbox.refuse = {"lead@example.org"}
    result = channel_for(smtp_server).send([make_alert()])
    assert result.ok and "lead@example.org" in (result.error or "")
    assert smtp_server.mailbox.envelopes[0].rcpt_tos == ["oncall@example.org"]


def test_starttls_requested_but_not_offered_is_permanent(
    smtp_server: SmtpServer, make_alert: Callable[..., Alert]
) -> None:
    result = channel_for(smtp_server, security="starttls").send([make_alert()])
    assert not result.ok and result.permanent and "security" in (result.error or "")


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """Accept only selfref / s3cret."""
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"selfref", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_smtp_server(server_tls: ssl.SSLContext) -> Iterator[SmtpServer]:
    """SMTP that requires STARTTLS and a login."""
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    yield SmtpServer("127.0.0.1", controller.port, mailbox)
    controller.stop()


def test_starttls_with_login(
    tls_smtp_server: SmtpServer, client_tls: ssl.SSLContext, make_alert: Callable[..., Alert]
) -> None:
    channel = channel_for(
        tls_smtp_server,
        security="starttls",
        username="selfref",
        password="s3cret",
        ssl_context=client_tls,
    )
    assert channel.send([make_alert()]).ok
    assert received(tls_smtp_server)["Subject"].startswith("[selfref] CRITICAL")


def test_wrong_password_is_permanent(
    tls_smtp_server: SmtpServer, client_tls: ssl.SSLContext, make_alert: Callable[..., Alert]
) -> None:
    channel = channel_for(
        tls_smtp_server,
        security="starttls",
        username="selfref",
        password="wrong",
        ssl_context=client_tls,
    )
    result = channel.send([make_alert()])
    assert not result.ok and result.permanent and result.status == 535


def test_untrusted_certificate_is_an_error(
    tls_smtp_server: SmtpServer, make_alert: Callable[..., Alert]
) -> None:
    result = channel_for(tls_smtp_server, security="starttls").send([make_alert()])
    assert not result.ok and "CERTIFICATE_VERIFY_FAILED" in (result.error or "")


def test_implicit_ssl(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext, make_alert: Callable[..., Alert]
) -> None:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), ssl_context=server_tls)
    controller.start()
    try:
        server = SmtpServer("127.0.0.1", controller.port, mailbox)
        assert channel_for(server, security="ssl", ssl_context=client_tls).send([make_alert()]).ok
    finally:
        controller.stop()
    assert len(mailbox.envelopes) == 1


class FailingQuit(Mailbox):
    """Accepts the mail, then answers QUIT with an error."""

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "554 5.3.0 cannot say goodbye"


def test_error_on_quit_after_the_mail_was_accepted_is_still_delivered(
    make_alert: Callable[..., Alert],
) -> None:
    mailbox = FailingQuit()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        server = SmtpServer("127.0.0.1", controller.port, mailbox)
        result = channel_for(server).send([make_alert()])
    finally:
        controller.stop()
    assert result.ok and result.error is None
    assert len(mailbox.envelopes) == 1


def test_login_without_tls_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="option 'username' needs security"):
        EmailChannel("oncall", **GOOD, username="u", password="p")  # type: ignore[arg-type]


GOOD = {"smtp_host": "127.0.0.1", "sender": "selfref@example.org", "to": ["a@example.org"]}


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"smtp_host": ""}, "smtp_host"),
        ({"smtp_port": 0}, "smtp_port"),
        ({"smtp_port": "25"}, "smtp_port"),
        ({"security": "tls"}, "security"),
        ({"username": "selfref"}, "password"),
        ({"password": "s3cret"}, "username"),
        ({"username": "selfref", "password": "s3cret"}, "username"),  # cleartext login
        ({"username": "u", "password": "p", "security": "none"}, "username"),
        ({"sender": "selfref"}, "sender"),
        ({"to": "a@example.org"}, "to"),
        ({"to": []}, "to"),
        ({"to": ["a@example.org\nBcc: x@evil.org"]}, "to"),
        ({"timeout": -1}, "timeout"),
        ({"smtp_pass": "x"}, "smtp_pass"),
    ],
)
def test_bad_options_fail_at_build_time(options: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=f"email channel 'oncall': option '{named}'"):
        CHANNELS.build("email", "oncall", GOOD | options)


def test_missing_required_option_is_named() -> None:
    with pytest.raises(ValueError, match="option 'sender' is required"):
        CHANNELS.build("email", "oncall", {"smtp_host": "127.0.0.1", "to": ["a@example.org"]})


def test_build_from_options(smtp_server: SmtpServer, make_alert: Callable[..., Alert]) -> None:
    options = GOOD | {"smtp_port": smtp_server.port, "timeout": 5}
    with CHANNELS.build("email", "oncall", options) as channel:
        assert channel.send([make_alert()]).ok
