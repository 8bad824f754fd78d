"""The httpx transport the hub hands to every leaf that makes outbound HTTP requests.

Two guarantees the leaves cannot give on their own:

- Connect to the address you checked: each connection resolves its host once, checks every
  address with the `AddressGuard`, and connects to one of exactly those addresses. The URL,
  the Host header and the TLS server name (SNI and certificate check) stay the host name.
  Redirect hops are new requests, so each is resolved and checked the same way.
- A deadline, not read timeouts: one request, from connect through headers to the last
  byte of the body, ends within `deadline` seconds, however slowly the server trickles.
  Every socket operation waits at most until the request's deadline.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import httpcore
import httpx

from selfref.netguard import AddressGuard

__all__ = ["GuardedTransport"]

_state = threading.local()


def _remaining(timeout: float | None) -> float | None:
    """`timeout` capped by the current request's deadline; a timeout error once it passed."""
    until: float | None = getattr(_state, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout(f"request deadline of {_state.seconds:g} s passed")
    return left if timeout is None else min(timeout, left)


@contextmanager
def _deadline(until: float, seconds: float) -> Iterator[None]:
    saved = getattr(_state, "until", None), getattr(_state, "seconds", None)
    _state.until, _state.seconds = until, seconds
    try:
        yield
    finally:
        _state.until, _state.seconds = saved


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the current request's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _remaining(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _remaining(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _remaining(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Resolves and checks a host, then connects to one of the checked addresses."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._sync = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self._guard.addresses(host, port)
        except ValueError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        error: Exception | None = None
        for address in addresses:
            try:
                stream = self._sync.connect_tcp(
                    address, port, _remaining(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream)
        assert error is not None
        raise error

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for outbound requests")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _BoundedBody(httpx.SyncByteStream):
    """A response body read under its request's deadline."""

    def __init__(self, inner: httpx.SyncByteStream, until: float, seconds: float) -> None:
        self._inner, self._until, self._seconds = inner, until, seconds

    def __iter__(self) -> Iterator[bytes]:
        parts = iter(self._inner)
        while True:
            with _deadline(self._until, self._seconds):
                try:
                    part = next(parts)
                except StopIteration:
                    return
            yield part

    def close(self) -> None:
        self._inner.close()


@cache
def _ssl_context() -> ssl.SSLContext:
    """The TLS settings every transport shares (read-only once made): loading the CA bundle
    takes tens of milliseconds, once per process rather than per crawl or channel."""
    return httpx.create_ssl_context(trust_env=False)


class GuardedTransport(httpx.HTTPTransport):
    """httpx transport: connections only to checked addresses, each request within `deadline`
    seconds (connect, headers and body)."""

    def __init__(self, guard: AddressGuard, deadline: float) -> None:
        if not deadline > 0:
            raise ValueError(f"deadline must be > 0 seconds, got {deadline!r}")
        super().__init__(verify=_ssl_context(), trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(guard),
        )
        self.deadline = deadline

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        until = time.monotonic() + self.deadline
        with _deadline(until, self.deadline):
            response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _BoundedBody(response.stream, until, self.deadline)
        return response
