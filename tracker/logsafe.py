"""No secrets in logs: URLs in log records lose their credentials, query and fragment.

Webhook URLs often carry a token in the query (`?token=...`) or credentials
(`https://user:pass@host/`); crawl sources may carry an API key. httpx logs every request
URL at INFO and httpcore logs connection details at DEBUG, so `protect_logs` quiets both to
WARNING and puts a redacting filter on them (for whoever turns them up again), on the
uvicorn loggers, and on the root handlers present at the time.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "protect_logs", "redact"]

QUIET = ("httpx", "httpcore")
# a logger's filters see only the records logged on it, not on its children
FILTERED = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.http2",
            "httpcore.proxy", "uvicorn.access", "uvicorn.error")  # fmt: skip
_URL = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@?#'\"<>]*@)?"
    r"(?P<rest>[^\s?#'\"<>]*)(?P<query>\?[^\s#'\"<>]*)?(?P<fragment>#[^\s'\"<>]*)?"
)
# uvicorn's access log gives the path and query apart from any scheme
_QUERY = re.compile(r"(?<=[\w/])\?[^\s#'\"<>]+")


def _url(match: re.Match[str]) -> str:
    userinfo = "***@" if match["userinfo"] else ""
    query = "?***" if match["query"] else ""
    return f"{match['scheme']}{userinfo}{match['rest']}{query}"


def redact(text: str) -> str:
    """`text` with every URL's credentials and query replaced by `***`, fragments dropped."""
    return _QUERY.sub("?***", _URL.sub(_url, text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's message through `redact` (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def protect_logs() -> None:
    """Quiet httpx and httpcore (unless their level was set), and redact URLs on their
    loggers, uvicorn's and the root handlers (idempotent: call it again after configuring
    logging)."""
    for name in QUIET:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.WARNING)
    for name in FILTERED:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
