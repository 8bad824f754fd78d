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
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from selfref.alerts import Channel, EmailChannel, WebhookChannel
from selfref.config import ChannelSettings, Config, EmailSettings, WebhookSettings
from selfref.errors import ConfigError
from selfref.levels import Level
from selfref.netguard import AddressGuard
from selfref.plugins import CHANNELS
from selfref.transport import GuardedTransport

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
        if "url" in opts or "smtp_host" in opts:
            where = opts.get("url") or f"{opts.get('smtp_host')}:{opts.get('smtp_port')}"
        else:  # a plug-in kind: any change to its options
            where = json.dumps(opts, sort_keys=True, default=str)
        return hashlib.sha256(f"{self.kind}\n{where}".encode()).hexdigest()[:16]

    def build(self) -> Channel:
        """A fresh channel from `alerts/`; ConfigError names the config key on a bad option."""
        options = self.options
        if self.transport is not None:
            options = {**options, "transport": self.transport()}
        try:
            return CHANNELS.build(self.kind, self.name, options, f"{self.key}.kind")
        except ValueError as exc:
            raise ConfigError(f"{self.key}: {exc}") from None


def default_webhook_name(url: str) -> str:
    """`webhook-` + 8 hex digits of the URL's SHA-256: stable whatever the other webhooks."""
    return "webhook-" + hashlib.sha256(url.encode()).hexdigest()[:8]


def channel_specs(config: Config) -> list[ChannelSpec]:
    """Every configured channel: webhooks, the email channel, then `[[alerts.channels]]`,
    each in config order."""
    settings = config.settings.alerts
    guard = AddressGuard(allow_private=config.settings.crawl.allow_private_addresses)
    specs = [
        _webhook_spec(hook, f"alerts.webhooks[{i}]", guard)
        for i, hook in enumerate(settings.webhooks)
    ]
    if settings.email is not None:
        specs.append(_email_spec(settings.email, "alerts.email", "email"))
    for i, channel in enumerate(settings.channels):
        specs.append(_listed_spec(channel, f"alerts.channels[{i}]", guard))
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            raise ConfigError(
                f"{spec.key}.name: channel name {spec.name!r} is already used by {seen[spec.name]}"
            )
        seen[spec.name] = spec.key
    return specs


def _webhook_spec(hook: WebhookSettings, key: str, guard: AddressGuard) -> ChannelSpec:
    return ChannelSpec(
        name=hook.name or default_webhook_name(hook.url),
        kind="webhook",
        key=key,
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


def _email_spec(mail: EmailSettings, key: str, name: str) -> ChannelSpec:
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
    return ChannelSpec(
        name=name,
        kind="email",
        key=key,
        min_level=mail.min_level,
        options=options,
        digest=mail.digest if mail.digest and mail.digest > dt.timedelta(0) else None,
        rate_limit=mail.rate_limit,
        rate_window=EMAIL_RATE_WINDOW,
    )


def _listed_spec(channel: ChannelSettings, key: str, guard: AddressGuard) -> ChannelSpec:
    """An `[[alerts.channels]]` entry. The built-in kinds read their keys exactly as
    `[[alerts.webhooks]]` and `[alerts.email]` do (SSRF guard and durations included); any
    other kind must be registered, and gets its own options as written."""
    common = {"min_level": channel.min_level, "rate_limit": channel.rate_limit}
    if channel.kind == "webhook":
        hook = _settings(WebhookSettings, key, {"name": channel.name, **common, **channel.options})
        return _webhook_spec(hook, key, guard)
    if channel.kind == "email":
        mail = _settings(EmailSettings, key, {**common, **channel.options})
        return _email_spec(mail, key, channel.name)
    CHANNELS.get(channel.kind, where=f"{key}.kind")
    return ChannelSpec(
        name=channel.name,
        kind=channel.kind,
        key=key,
        min_level=channel.min_level,
        options=channel.options,
        rate_limit=channel.rate_limit,
    )


S = TypeVar("S", bound=BaseModel)


def _settings(model: type[S], key: str, values: dict[str, Any]) -> S:
    """`values` read as `model`; a ConfigError names the key of the first bad value."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join([key, *(str(part) for part in first["loc"])])
        raise ConfigError(f"{where}: {first['msg']}") from None


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
