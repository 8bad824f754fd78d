"""Alert channels as the config describes them, and how the hub builds them from `alerts/`.

Channel names: a webhook uses its `name`, else `webhook-<8 hex digits of the URL's
SHA-256>`, so adding or removing another webhook renames none; the email channel is
`email`. Each alert row keeps its channel's name and destination fingerprint: rows whose
channel is removed, or now points elsewhere, are suppressed, never sent to the new place.
The hub-only keys (`min_level`, `digest`, `rate_limit`) stay
here; the leaf channel only sees its own options, with timeouts in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from alerts import Channel, EmailChannel, WebhookChannel, build_channel
from tracker.config import Config
from tracker.errors import ConfigError
from tracker.levels import Level
from tracker.netguard import AddressGuard
from tracker.transport import GuardedTransport

WEBHOOK_RATE_WINDOW = dt.timedelta(minutes=1)  # webhooks: rate_limit is alerts per minute
EMAIL_RATE_WINDOW = dt.timedelta(hours=1)  # email: rate_limit is mails per hour
_NO_NETWORK = httpx.MockTransport(lambda request: httpx.Response(599))
_NO_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


@dataclass(frozen=True)
class ChannelSpec:
    """One configured channel: what the outbox needs to decide, and how to build it."""

    name: str
    kind: str
    key: str  # the config key, for error messages: alerts.webhooks[0], alerts.email
    min_level: Level
    options: dict[str, Any] = field(repr=False)
    digest: dt.timedelta | None = None
    rate_limit: int | None = None
    rate_window: dt.timedelta = WEBHOOK_RATE_WINDOW
    transport: Callable[[], httpx.BaseTransport] | None = field(default=None, repr=False)

    @property
    def timeout(self) -> float:
        """The channel's per-operation timeout in seconds."""
        return float(self.options.get("timeout", 10.0))

    @property
    def fingerprint(self) -> str:
        """Changes with the destination: fixing a disabled webhook's url re-enables it."""
        opts = self.options
        where = opts.get("url") or f"{opts.get('smtp_host')}:{opts.get('smtp_port')}"
        return hashlib.sha256(f"{self.kind}\n{where}".encode()).hexdigest()[:16]

    def build(self) -> Channel:
        """A fresh channel from `alerts/`; ConfigError names the config key on a bad option."""
        options = self.options
        if self.transport is not None:
            options = {**options, "transport": self.transport()}
        try:
            return build_channel(self.kind, self.name, options)
        except ValueError as exc:
            raise ConfigError(f"{self.key}: {exc}") from None


def default_webhook_name(url: str) -> str:
    """`webhook-` + 8 hex digits of the URL's SHA-256: stable whatever the other webhooks."""
    return "webhook-" + hashlib.sha256(url.encode()).hexdigest()[:8]


def channel_specs(config: Config) -> list[ChannelSpec]:
    """Every configured channel, webhooks first, in config order."""
    settings = config.settings.alerts
    guard = AddressGuard(allow_private=config.settings.crawl.allow_private_addresses)
    specs: list[ChannelSpec] = []
    for i, hook in enumerate(settings.webhooks):
        specs.append(
            ChannelSpec(
                name=hook.name or default_webhook_name(hook.url),
                kind="webhook",
                key=f"alerts.webhooks[{i}]",
                min_level=hook.min_level,
                options={
                    "url": hook.url,
                    "secret": hook.secret,
                    "timeout": hook.timeout.total_seconds(),
                    "guard": guard,
                },
                rate_limit=hook.rate_limit,
                rate_window=WEBHOOK_RATE_WINDOW,
                transport=partial(GuardedTransport, guard, hook.timeout.total_seconds()),
            )
        )
    mail = settings.email
    if mail is not None:
        options: dict[str, Any] = {
            "smtp_host": mail.smtp_host,
            "smtp_port": mail.smtp_port,
            "security": mail.security,
            "sender": mail.sender,
            "to": list(mail.to),
            "timeout": mail.timeout.total_seconds(),
        }
        if mail.username is not None:
            options["username"] = mail.username
        if mail.password is not None:
            options["password"] = mail.password
        specs.append(
            ChannelSpec(
                name="email",
                kind="email",
                key="alerts.email",
                min_level=mail.min_level,
                options=options,
                digest=mail.digest if mail.digest and mail.digest > dt.timedelta(0) else None,
                rate_limit=mail.rate_limit,
                rate_window=EMAIL_RATE_WINDOW,
            )
        )
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            raise ConfigError(
                f"{spec.key}.name: channel name {spec.name!r} is already used by {seen[spec.name]}"
            )
        seen[spec.name] = spec.key
    return specs


def validate_channels(specs: list[ChannelSpec]) -> None:
    """Check each channel's options at start-up, so a bad URL or secret fails early.

    The built-in kinds are built without their TLS setup (loading the CA bundle costs
    about 50 ms each, on every command); other kinds are built and closed.
    """
    for spec in specs:
        try:
            if spec.kind == "webhook":
                opts = spec.options
                WebhookChannel(
                    spec.name, opts["url"], opts["secret"], timeout=opts["timeout"],
                    transport=_NO_NETWORK,
                ).close()  # fmt: skip
            elif spec.kind == "email":
                EmailChannel(spec.name, **spec.options, ssl_context=_NO_TLS)
            else:
                spec.build().close()
        except ValueError as exc:
            raise ConfigError(f"{spec.key}: {exc}") from None


def find_channel(specs: list[ChannelSpec], name: str) -> ChannelSpec:
    """The channel called `name`; ConfigError lists the configured names otherwise."""
    for spec in specs:
        if spec.name == name:
            return spec
    if not specs:
        raise ConfigError(
            f"unknown alert channel {name!r}: no channels are configured "
            "(add [[alerts.webhooks]] or [alerts.email] to selfref.toml)"
        )
    names = ", ".join(spec.name for spec in specs)
    raise ConfigError(f"unknown alert channel {name!r}; configured channels: {names}")
