"""SMTP on loopback for the alert channel tests (the webhook receiver is
`tests.loopback.WebhookReceiver`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class Mailbox:
    """aiosmtpd handler that keeps every accepted message and refuses listed recipients."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running aiosmtpd server and its mailbox."""

    host: str
    port: int
    mailbox: Mailbox
