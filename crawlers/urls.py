"""Canonical URLs, so one page reached through many spellings is stored and indexed once."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "canonicalize", "is_tracking_param"]

TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "mc_cid", "mc_eid", "igshid", "ref", "ref_src", "ref_url", "_ga", "_gl", "_hsenc",
        "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "cmpid", "s_cid",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_PATH_SAFE = "!$&'()*+,;=:@/"
_QUERY_PART_SAFE = "!$'()*+,;:@/?"


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only track the visitor and never change the page."""
    key = name.lower()
    return key in TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """One spelling per page: case, default ports, fragments, tracking params, dots, escapes.

    Raises ValueError when `url` cannot be parsed at all (for example a broken IPv6 host).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    netloc = _netloc(scheme, parts.netloc)
    path = _remove_dot_segments(_normalize_escapes(parts.path, _PATH_SAFE))
    if netloc or scheme in _DEFAULT_PORTS:
        path = path.rstrip("/")
        if not path.startswith("/"):
            path = "/" + path
    return urlunsplit((scheme, netloc, path, _query(parts.query), ""))


def _netloc(scheme: str, netloc: str) -> str:
    userinfo, at, hostport = netloc.rpartition("@")
    host, port = hostport, ""
    if hostport.startswith("["):
        end = hostport.find("]")
        if end != -1:
            host, port = hostport[: end + 1], hostport[end + 1 :].removeprefix(":")
    elif ":" in hostport:
        host, _, port = hostport.rpartition(":")
    host = host.lower().rstrip(".")
    if port.isdigit() and int(port) == _DEFAULT_PORTS.get(scheme):
        port = ""
    return f"{userinfo}{at}{host}{':' + port if port else ''}"


def _normalize_escapes(text: str, safe: str) -> str:
    """Decode escaped unreserved characters, upper-case the other escapes, escape the rest."""
    out: list[str] = []
    pos = 0
    for match in _ESCAPE.finditer(text):
        out.append(quote(text[pos : match.start()], safe=safe, errors="replace"))
        char = chr(int(match.group(1), 16))
        out.append(char if char in _UNRESERVED else "%" + match.group(1).upper())
        pos = match.end()
    out.append(quote(text[pos:], safe=safe, errors="replace"))
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, by segments."""
    absolute = path.startswith("/")
    segments: list[str] = []
    for segment in path.split("/")[1:] if absolute else path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    if path.endswith(("/.", "/..")):
        segments.append("")
    joined = "/".join(segments)
    return "/" + joined if absolute else joined


def _query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        name, eq, value = item.partition("=")
        name = _normalize_escapes(name, _QUERY_PART_SAFE)
        if is_tracking_param(_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), name)):
            continue
        pairs.append((name, eq + _normalize_escapes(value, _QUERY_PART_SAFE + "=")))
    return "&".join(name + rest for name, rest in sorted(pairs))
