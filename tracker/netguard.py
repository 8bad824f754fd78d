"""SSRF guard: refuse URLs whose host resolves to loopback, private or link-local space.

The hub hands `AddressGuard(...)` to the leaves that make outbound requests (the crawl
fetcher, the webhook channel); they call it on every URL they are about to request,
including each redirect hop, so a public name that resolves to 10.0.0.1 is refused
after DNS, not only by its spelling. The call gives early, clear refusals; what enforces
the guard is `selfref.transport.GuardedTransport`, which connects only to the addresses
`AddressGuard.addresses` resolved and checked (a name cannot answer public to the check
and loopback to the connection: DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class BlockedAddressError(ValueError):
    """The URL points at an address the guard refuses: permanent."""

    temporary = False


class UnresolvableHostError(ValueError):
    """The host could not be resolved right now: worth retrying later.

    Not a BlockedAddressError: nothing was refused. Still a ValueError, so callers that
    treat any guard ValueError as "do not fetch" keep working.
    """

    temporary = True


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses `host` resolves to, via the system resolver."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def is_public(address: str) -> bool:
    """True for a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


class AddressGuard:
    """Callable check for outbound URLs; `allow_private=True` turns it off."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolver | None = None):
        self.allow_private = allow_private
        self._resolver = resolver or system_resolver

    def __call__(self, url: str) -> None:
        """Raise BlockedAddressError if `url` may not be requested, UnresolvableHostError
        if its host cannot be resolved now."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BlockedAddressError(f"{url}: only http and https URLs are allowed")
        host = parts.hostname
        if not host:
            raise BlockedAddressError(f"{url}: no host in URL")
        if self.allow_private:
            return
        self.addresses(host, parts.port or (443 if parts.scheme == "https" else 80), url)

    def addresses(self, host: str, port: int, url: str | None = None) -> list[str]:
        """The addresses `host` resolves to, each checked: connect to these and no other.

        Raises as `__call__` does (naming `url`, or `host:port`)."""
        where = url or f"{host}:{port}"
        try:
            addresses = self._resolver(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnresolvableHostError(f"{where}: cannot resolve {host}: {exc}") from None
        if not addresses:
            raise UnresolvableHostError(f"{where}: {host} resolves to no address")
        for address in addresses:
            if not self.allow_private and not is_public(address):
                raise BlockedAddressError(
                    f"{where}: {host} resolves to non-public address {address} "
                    "(set allow_private_addresses = true to permit it)"
                )
        return list(dict.fromkeys(addresses))
