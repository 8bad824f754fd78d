"""One exception tree for everything a user can cause.

    SelfrefError
     ├── ConfigError            bad or unknown config key/value, unreadable file
     ├── UnknownAgentError      an agent id that is not in the catalog
     ├── InputError             malformed check input (bad JSON Lines line, bad document)
     ├── StorageError           the audit database is locked, gone or refused the write
     ├── IndexUnavailableError  the vector index cannot be opened or searched
     ├── CrawlError             a source failed as a whole
     └── AlertError             a channel is misconfigured or a test alert failed

Every message names the input and says what to do; the CLI prints it on one line
and exits 2.
"""

from __future__ import annotations


class SelfrefError(Exception):
    """Base class: an error a user can cause and fix."""


class ConfigError(SelfrefError):
    """The configuration file or a value in it is invalid."""


class UnknownAgentError(SelfrefError):
    """An agent id that is neither built in nor configured."""

    def __init__(self, agent: str, known: list[str]) -> None:
        self.agent = agent
        self.known = known
        super().__init__(
            f"unknown agent {agent!r}; known agents: {', '.join(known)} "
            "(add it under [[agents]] in selfref.toml)"
        )


class InputError(SelfrefError):
    """Documents handed to check could not be read."""


class StorageError(SelfrefError):
    """The audit database could not be read or written; nothing was half-written."""


class IndexUnavailableError(SelfrefError):
    """The vector index could not be opened, written or searched."""


class CrawlError(SelfrefError):
    """A crawl source failed as a whole."""


class AlertError(SelfrefError):
    """An alert channel is misconfigured or could not be reached."""
