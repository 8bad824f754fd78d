"""Email channel: one mail (plain text + HTML) per send, a digest when given several alerts.

`timeout` is the deadline of a whole session (connect, greeting, TLS, login, the mail,
QUIT), not of each read: a server that trickles its replies is cut off when it passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Self

from selfref.alerts.channels import Channel, DeliveryResult, Options
from selfref.alerts.model import LEVELS, Alert, AlertDocument

_SAFE_ID = re.compile(r"[A-Za-z0-9_.-]{1,48}")
SECURITY = ("none", "starttls", "ssl")
TEST_BANNER = (
    "TEST ALERT: sent by `selfref alerts test` to check this channel; no agent read anything."
)


def _bad(name: str, key: str, problem: str) -> ValueError:
    return ValueError(f"email channel {name!r}: option {key!r} {problem}")


def _check_address(name: str, key: str, address: str) -> str:
    if "\r" in address or "\n" in address or "@" not in parseaddr(address)[1]:
        raise _bad(name, key, f"must be an email address, got {address!r}")
    return address


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message_id(ids: Sequence[str]) -> str:
    """The same alerts always get the same Message-ID, so a retried mail can be recognised."""
    if len(ids) == 1 and _SAFE_ID.fullmatch(ids[0]):
        return f"<{ids[0]}@selfref>"
    return f"<digest-{hashlib.sha256(' '.join(ids).encode()).hexdigest()[:32]}@selfref>"


def _subject(alerts: Sequence[Alert]) -> str:
    """`[selfref] CRITICAL: grok read ...`, or a digest summary; test alerts say TEST."""
    if len(alerts) == 1:
        alert = alerts[0]
        if alert.is_test:
            return f"[selfref] TEST: test alert for {alert.agent}, not a real incident"
        return f"[selfref] {alert.level.upper()}: {alert.agent} read material about its own past"
    test = "TEST: " if any(a.is_test for a in alerts) else ""
    agents = ", ".join(dict.fromkeys(a.agent for a in alerts))
    highest = max((a.level for a in alerts), key=LEVELS.index)
    return f"[selfref] {test}{len(alerts)} alerts for {agents} (highest: {highest})"


def _facts(alert: Alert) -> list[tuple[str, str]]:
    """The labelled lines shown for one alert, in order."""
    facts = [
        ("Agent", alert.agent),
        ("Level", f"{alert.level} (score {alert.score:.2f})"),
        ("Query", alert.query or "-"),
        ("Session", alert.session or "-"),
        ("Event", alert.event_id),
        ("Time", alert.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
    ]
    if alert.hits > 1:
        facts.append(("Hits", f"{alert.hits} identical retrievals folded into this alert"))
    facts.append(("Audit", alert.audit_url or "-"))
    facts.append(("Alert id", alert.id))
    return facts


def _evidence_line(item: Mapping[str, Any]) -> str:
    span = item.get("span")
    where = f" (chars {span[0]}-{span[1]})" if span else ""
    return f"{item['kind']}: {item['detail']}{where}"


def _heading(alert: Alert) -> str:
    return f"{alert.agent} read material about its own past ({alert.level.upper()})"


def _doc_heading(doc: AlertDocument) -> str:
    """What a document is called in a message: its title, else its URL, else its id."""
    return doc.title or doc.url or doc.id or "untitled"


def _text_document(number: int, doc: AlertDocument) -> list[str]:
    lines = [f"  {number}. {_doc_heading(doc)}"]
    lines.append(f"     {doc.level}, score {doc.score:.2f}")
    if doc.url:
        lines.append(f"     {doc.url}")
    if doc.categories:
        lines.append(f"     Categories: {', '.join(doc.categories)}")
    lines.extend(f"     - {_evidence_line(item)}" for item in doc.evidence)
    return lines


def _text(alerts: Sequence[Alert], channel: str) -> str:
    lines: list[str] = []
    if any(a.is_test for a in alerts):
        lines += [TEST_BANNER, ""]
    for alert in alerts:
        if len(alerts) > 1:
            lines += ["-" * 72]
        lines += [f"selfref: {_heading(alert)}", ""]
        width = max(len(label) for label, _ in _facts(alert)) + 1
        lines += [f"{label + ':':<{width}} {value}" for label, value in _facts(alert)]
        lines += ["", "Flagged documents:"]
        for number, doc in enumerate(alert.documents, 1):
            lines += _text_document(number, doc)
        lines.append("")
    lines.append(f"Sent by selfref channel {channel!r}.")
    return "\n".join(lines) + "\n"


def _link(url: str | None, label: str) -> str:
    """An escaped link for http(s) URLs; anything else (javascript:, data:) stays text."""
    if url and url.lower().startswith(("http://", "https://")):
        return f'<a href="{html.escape(url)}">{html.escape(label)}</a>'
    return html.escape(label)


def _html_document(doc: AlertDocument) -> str:
    parts = [f"<li><strong>{_link(doc.url, _doc_heading(doc))}</strong>"]
    parts.append(f" ({html.escape(doc.level)}, score {doc.score:.2f})")
    if doc.url:
        parts.append(f"<br><small>{html.escape(doc.url)}</small>")
    if doc.categories:
        parts.append(f"<br>Categories: {html.escape(', '.join(doc.categories))}")
    if doc.evidence:
        items = "".join(f"<li>{html.escape(_evidence_line(e))}</li>" for e in doc.evidence)
        parts.append(f"<ul>{items}</ul>")
    parts.append("</li>")
    return "".join(parts)


def _html(alerts: Sequence[Alert], channel: str) -> str:
    out = ["<!DOCTYPE html>", '<html><body style="font-family: sans-serif">']
    if any(a.is_test for a in alerts):
        out.append(f'<p style="color: #b00"><strong>{html.escape(TEST_BANNER)}</strong></p>')
    for alert in alerts:
        out.append(f"<h2>selfref: {html.escape(_heading(alert))}</h2><table>")
        for label, value in _facts(alert):
            shown = _link(value, value) if label == "Audit" else html.escape(value)
            out.append(f"<tr><th align='left'>{html.escape(label)}</th><td>{shown}</td></tr>")
        out.append("</table><h3>Flagged documents</h3><ol>")
        out.extend(_html_document(doc) for doc in alert.documents)
        out.append("</ol>")
    out.append(f"<p><small>Sent by selfref channel {html.escape(repr(channel))}.</small></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


class EmailChannel(Channel):
    """Mail over SMTP (plain, STARTTLS or SSL, optional login); several alerts make a digest."""

    kind = "email"

    def __init__(
        self,
        name: str,
        *,
        smtp_host: str,
        smtp_port: int = 25,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        sender: str,
        to: Sequence[str],
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(name)
        if not smtp_host:
            raise _bad(name, "smtp_host", "must name the SMTP server")
        if not 0 < smtp_port < 65536:
            raise _bad(name, "smtp_port", f"must be from 1 to 65535, got {smtp_port!r}")
        if security not in SECURITY:
            raise _bad(name, "security", f"must be one of {'|'.join(SECURITY)}, got {security!r}")
        if (username is None) != (password is None):
            missing = "password" if password is None else "username"
            raise _bad(name, missing, "is required when the other login option is set")
        if username is not None and security == "none":
            raise _bad(
                name,
                "username",
                "needs security = 'starttls' or 'ssl': with 'none' the login would cross "
                "the network in cleartext",
            )
        if isinstance(to, str) or not to:
            raise _bad(name, "to", f"must be a non-empty list of addresses, got {to!r}")
        if not timeout > 0:
            raise _bad(name, "timeout", f"must be a number of seconds > 0, got {timeout!r}")
        self.smtp_host, self.smtp_port, self.security = smtp_host, smtp_port, security
        self.username, self._password = username, password
        self.sender = _check_address(name, "sender", sender)
        self.to = [_check_address(name, "to", address) for address in to]
        self.timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Self:
        """Options: smtp_host, smtp_port, security, username, password, sender, to, timeout."""
        opts = Options(cls.kind, name, options)
        smtp_host = opts.string("smtp_host")
        smtp_port = opts.integer("smtp_port", 25, low=1, high=65535)
        security = opts.choice("security", SECURITY, "none")
        username, password = opts.optional_string("username"), opts.optional_string("password")
        sender, to = opts.string("sender"), opts.strings("to")
        timeout = opts.number("timeout", 10.0)
        opts.done()
        return cls(
            name,
            smtp_host=smtp_host,
            smtp_port=smtp_port,
            security=security,
            username=username,
            password=password,
            sender=sender,
            to=to,
            timeout=timeout,
        )

    def compose(self, alerts: Sequence[Alert]) -> EmailMessage:
        """The mail for `alerts`: one alert, or a digest of several."""
        if not alerts:
            raise ValueError("an email needs at least one alert")
        message = EmailMessage()
        message["Subject"] = _one_line(_subject(alerts))
        message["From"] = self.sender
        message["To"] = ", ".join(self.to)
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = _message_id([alert.id for alert in alerts])
        message.set_content(_text(alerts, self.name))
        message.add_alternative(_html(alerts, self.name), subtype="html")
        return message

    def send(self, alerts: Sequence[Alert]) -> DeliveryResult:
        """Send one mail; SMTP 5xx and all-recipients-refused are permanent, the rest retried."""
        message = self.compose(alerts)
        where = f"{self.smtp_host}:{self.smtp_port}"
        smtp: smtplib.SMTP | None = None
        watchdog = _Watchdog(self.timeout)
        try:
            smtp = self._connect(watchdog)
            if self.security == "starttls":
                smtp.starttls(context=self._ssl_context)
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
            refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            return DeliveryResult.give_up(
                f"SMTP server {where} refused every recipient: {_refusals(exc.recipients)}"
            )
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryResult.give_up(
                f"SMTP server {where}: {exc}; check options 'security' and 'username'"
            )
        except smtplib.SMTPResponseException as exc:
            reply = exc.smtp_error
            text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
            detail = f"SMTP server {where} answered {exc.smtp_code} {_one_line(text)}"
            if 500 <= exc.smtp_code < 600:
                return DeliveryResult.give_up(detail, exc.smtp_code)
            return DeliveryResult.retry(detail, exc.smtp_code)
        except (smtplib.SMTPException, TimeoutError) as exc:
            # smtplib reports a read timeout as SMTPServerDisconnected caused by TimeoutError;
            # the watchdog's shutdown at the deadline as a disconnection.
            timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
            if timed_out or watchdog.expired:
                return DeliveryResult.retry(
                    f"SMTP server {where} timed out after {self.timeout:g} s"
                )
            return DeliveryResult.retry(f"SMTP with {where} failed: {type(exc).__name__}: {exc}")
        except OSError as exc:
            if watchdog.expired:
                return DeliveryResult.retry(
                    f"SMTP server {where} timed out after {self.timeout:g} s"
                )
            return DeliveryResult.retry(f"cannot reach SMTP server {where}: {exc}")
        finally:
            watchdog.cancel()
            if smtp is not None:
                _quit(smtp)
        if refused:
            return DeliveryResult.delivered(250, f"some recipients refused: {_refusals(refused)}")
        return DeliveryResult.delivered(250)

    def _connect(self, watchdog: _Watchdog) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = _SMTPSSL(
                watchdog, self.smtp_host, timeout=self.timeout, context=self._ssl_context
            )
        else:
            smtp = _SMTP(watchdog, self.smtp_host, timeout=self.timeout)
        watchdog.watch(smtp)
        smtp.connect(self.smtp_host, self.smtp_port)
        return smtp


class _Watchdog:
    """The deadline of one SMTP session (connect to QUIT): when it passes, the session's
    socket is shut down, which ends any read or write a slow server keeps waiting."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._smtp: smtplib.SMTP | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def watch(self, smtp: smtplib.SMTP) -> None:
        self._smtp = smtp
        self._timer.start()

    def check(self) -> None:
        """Raise TimeoutError once the deadline passed (for a connect that outlived it)."""
        if self.expired:
            raise TimeoutError("SMTP deadline passed")

    def cancel(self) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired = True
        sock = getattr(self._smtp, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """An SMTP client that refuses to go on once its watchdog's deadline passed."""

    _host: str

    def __init__(self, watchdog: _Watchdog, host: str, **kwargs: Any) -> None:
        self._watchdog = watchdog
        super().__init__(**kwargs)  # not connected yet: the watchdog starts first
        self._host = host  # what STARTTLS checks the certificate against

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self._watchdog.check()
        return sock  # type: ignore[no-any-return]


class _SMTP(_Watched, smtplib.SMTP):
    pass


class _SMTPSSL(_Watched, smtplib.SMTP_SSL):
    pass


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; once the server took (or refused) the mail, QUIT errors change nothing."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        smtp.close()


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address} ({code} {_one_line(reply.decode('utf-8', 'replace'))})"
        for address, (code, reply) in refused.items()
    )
