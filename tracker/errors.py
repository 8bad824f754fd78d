"""One exception tree for everything a user can cause.

    SelfrefError
     ├── ConfigError            bad or unknown config key/value, unreadable file
     ├── UnknownAgentError      an agent id that is not in the catalog
     ├── AgentNotSetError       a LangChain run with no agent id (no agent=, no selfref_agent)
     ├── RetrievalBlocked       a guard blocked a retrieval (on_block="raise"); carries verdicts
     ├── InputError             a value handed in that cannot be read: check input (bad
     │                          JSON Lines line, bad document), a level, a time or
     │                          duration, an alert status, a guard action (also a ValueError)
     ├── StorageError           the audit database is locked, gone or refused the write
     │    └── SchemaOutdatedError   its schema is behind: run `selfref db upgrade`
     └── IndexUnavailableError  the vector index cannot be opened or searched

Every message names the input and says what to do; the CLI prints it on one line and
exits 2. Anything else that escapes is a bug and surfaces as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selfref.levels import Level, Verdict


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


class AgentNotSetError(SelfrefError):
    """A LangChain run that names no agent: no `agent=` and no `selfref_agent` metadata."""

    def __init__(self, component: str, found: object = None) -> None:
        self.component = component
        bad = "" if found is None else f" (selfref_agent is {found!r}, not an agent id)"
        super().__init__(
            f"{component}: no agent id for this run{bad}; pass agent='ID' to it, or run it "
            "with config={'metadata': {'selfref_agent': 'ID'}}"
        )


class RetrievalBlocked(SelfrefError):
    """A `block` guard with `on_block="raise"` found documents at or above its level.

    The message names no agent, persona or incident (it may reach the model); the
    verdicts, the audit event and the agent are attributes."""

    def __init__(
        self,
        agent: str,
        verdicts: Sequence[Verdict],
        *,
        event_id: str | None,
        query: str | None,
        min_level: Level,
    ) -> None:
        self.agent = agent
        self.verdicts = list(verdicts)
        self.event_id = event_id
        self.query = query
        self.min_level = min_level
        flagged = sum(v.level >= min_level for v in self.verdicts)
        super().__init__(
            f"selfref blocked a retrieval: {flagged} of {len(self.verdicts)} documents at or "
            f"above {min_level.label} (audit event {event_id})"
        )


class InputError(SelfrefError, ValueError):
    """A value handed to selfref could not be read: documents handed to check, a level, a
    time or duration, an alert status, a guard action. Also a ValueError, so a config
    validator that parses a value reports it under its key."""


class StorageError(SelfrefError):
    """The audit database could not be read or written; nothing was half-written."""


class SchemaOutdatedError(StorageError):
    """The database's schema is behind this version of selfref: `selfref db upgrade`."""


class IndexUnavailableError(SelfrefError):
    """The vector index could not be opened, written or searched."""


def describe_storage_failure(message: str, action: str, where: str) -> str:
    """The one line a database driver's `message` becomes (every audit reader says it so):
    a lock says to retry; anything else names the action, the database and its first line."""
    text = (message.strip().splitlines() or [""])[0]
    if "locked" in text or "busy" in text:
        return (
            f"audit database {where} is locked by another process; nothing was written. "
            "Retry, or raise [storage] busy_timeout"
        )
    return f"cannot {action} the audit database {where}: {text}"
