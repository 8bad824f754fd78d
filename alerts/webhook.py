"""Webhook channel: one JSON POST per alert, signed per the Standard Webhooks spec."""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self

import httpx
from standardwebhooks import Webhook

from selfref.alerts.channels import Channel, DeliveryResult, Options
from selfref.alerts.model import Alert

SECRET_PREFIX = "whsec_"
# 4xx answers that resending the same request cannot fix; 410 also disables the endpoint.
# Other 4xx (408, 409, 425, 429, ...) are retried like 5xx.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410, 413, 414, 415, 422})
_HEAD_BYTES = 1024
_SNIPPET_CHARS = 200


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _bad(name: str, key: str, problem: str) -> ValueError:
    return ValueError(f"webhook channel {name!r}: option {key!r} {problem}")


def _check_url(name: str, url: str) -> httpx.URL:
    """Parse `url`; only absolute http(s) URLs with a host are accepted."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _bad(name, "url", f"is not a valid URL ({exc}): {url!r}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise _bad(name, "url", f"must be an absolute http:// or https:// URL, got {url!r}")
    return parsed


def _check_secret(name: str, secret: str) -> Webhook:
    """A signer for a `whsec_<base64>` secret; the secret never appears in the error."""
    problem = f"must be {SECRET_PREFIX!r} followed by base64 (a Standard Webhooks secret)"
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        raise _bad(name, "secret", problem)
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _bad(name, "secret", problem) from None
    if not key:
        raise _bad(name, "secret", problem)
    return Webhook(secret)


def _snippet(head: bytes) -> str:
    text = " ".join(head.decode("utf-8", "replace").split())
    return text[:_SNIPPET_CHARS] + ("..." if len(text) > _SNIPPET_CHARS else "")


def _classify(where: str, response: httpx.Response, head: bytes) -> DeliveryResult:
    """Map an HTTP answer to a delivery result."""
    status = response.status_code
    if 200 <= status < 300:
        return DeliveryResult.delivered(status)
    detail = f"{where} answered {status} {response.reason_phrase}".rstrip()
    if head.strip():
        detail += f": {_snippet(head)}"
    if status == 410:
        return DeliveryResult.give_up(
            f"{detail}; the endpoint is gone, so the webhook is disabled: "
            "fix its url and enable it again",
            status,
            disable=True,
        )
    if 300 <= status < 400:
        location = response.headers.get("location", "?")
        return DeliveryResult.give_up(
            f"{detail}; redirects are not followed: point the webhook at {location}", status
        )
    if status in PERMANENT_STATUSES:
        return DeliveryResult.give_up(detail, status)
    return DeliveryResult.retry(
        detail, status, parse_retry_after(response.headers.get("retry-after"))
    )


class WebhookChannel(Channel):
    """Signed JSON POSTs (webhook-id, webhook-timestamp, webhook-signature), no redirects."""

    kind = "webhook"

    def __init__(
        self,
        name: str,
        url: str,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        guard: Callable[[str], None] | None = None,
        user_agent: str = "selfref/0.1",
    ) -> None:
        super().__init__(name)
        parsed = _check_url(name, url)
        self._signer = _check_secret(name, secret)
        if not timeout > 0:
            raise _bad(name, "timeout", f"must be a number of seconds > 0, got {timeout!r}")
        self.url = url
        self.timeout = timeout
        self._guard = guard
        host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
        port = f":{parsed.port}" if parsed.port else ""
        # Errors name only scheme, host and port: paths and queries often carry tokens.
        self._where = f"{parsed.scheme}://{host}{port}"
        self._client = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,
            headers={"user-agent": user_agent},
        )

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any]) -> Self:
        """Options: url, secret, timeout (seconds), user_agent; `guard` and `transport` are
        injected by the hub."""
        opts = Options(cls.kind, name, options)
        url, secret = opts.string("url"), opts.string("secret")
        timeout = opts.number("timeout", 10.0)
        user_agent = opts.string("user_agent", "selfref/0.1")
        guard = opts.function("guard")
        transport = opts.injected("transport", httpx.BaseTransport)
        opts.done()
        return cls(
            name, url, secret, timeout=timeout, transport=transport, guard=guard,
            user_agent=user_agent,
        )  # fmt: skip

    def send(self, alerts: Sequence[Alert]) -> DeliveryResult:
        """POST each alert in turn; stop at and return the first failure."""
        if not alerts:
            raise ValueError("send needs at least one alert")
        result = DeliveryResult.delivered()
        for alert in alerts:
            result = self._post(alert)
            if not result.ok:
                break
        return result

    def _post(self, alert: Alert) -> DeliveryResult:
        where = self._where
        if self._guard is not None:
            try:
                self._guard(self.url)
            except ValueError as exc:
                reason = str(exc).replace(self.url, where)
                if getattr(exc, "temporary", False):  # e.g. DNS down: try again later
                    return DeliveryResult.retry(f"cannot POST to {where} now: {reason}")
                return DeliveryResult.give_up(f"refused to POST to {where}: {reason}")
        body = json.dumps(alert.to_payload(), ensure_ascii=False, separators=(",", ":"))
        sent_at = datetime.fromtimestamp(math.floor(time.time()), UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": alert.id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": self._signer.sign(alert.id, sent_at, body),
        }
        try:
            with self._client.stream(
                "POST", self.url, content=body.encode(), headers=headers
            ) as response:
                head = b""
                for chunk in response.iter_bytes():
                    head += chunk
                    if len(head) >= _HEAD_BYTES:
                        break
        except httpx.TimeoutException as exc:
            return DeliveryResult.retry(
                f"POST {where} timed out after {self.timeout:g} s ({type(exc).__name__})"
            )
        except httpx.HTTPError as exc:
            return DeliveryResult.retry(f"POST {where} failed: {type(exc).__name__}: {exc}")
        return _classify(where, response, head[:_HEAD_BYTES])

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._client.close()
