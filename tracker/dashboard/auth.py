"""How a browser presents the API token: once, on the login form, for a cookie that stands
for it on reads (GET and HEAD) only, so a page on another site can never make a browser
send a check or any other write with it."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs

from selfref.dashboard.render import render

COOKIE = "selfref_dashboard"
LOGIN_PATH = "/login"


def cookie_value(token: str) -> str:
    """The cookie that stands for `token` (derived from it, so it never carries the token)."""
    return hmac.new(token.encode(), b"selfref dashboard cookie", hashlib.sha256).hexdigest()


def cookie_matches(header: bytes, token: str) -> bool:
    """Whether a `Cookie:` header carries the dashboard cookie for `token`."""
    expected = cookie_value(token).encode()
    for part in header.split(b";"):
        name, _, value = part.strip().partition(b"=")
        if name == COOKIE.encode() and hmac.compare_digest(value, expected):
            return True
    return False


def safe_next(value: str | None) -> str:
    """A local path to return to after login; anything else (another site) becomes `/`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def login_page(next_path: str, error: str | None = None) -> str:
    """The login form, as the body of a 401 to a browser and of `GET /login`."""
    return render("login.html", next=safe_next(next_path), error=error)


def parse_login(body: bytes) -> tuple[str, str]:
    """(token, next) from the login form's urlencoded body."""
    fields = parse_qs(body.decode("utf-8", errors="replace"), max_num_fields=10)
    return fields.get("token", [""])[0], safe_next(fields.get("next", ["/"])[0])
