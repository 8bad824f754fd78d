"""selfref: keeps retrieval agents from being pulled back into old personas.

    from selfref import Tracker, Level
    t = Tracker.from_config()
    result = t.check("grok", documents, query="what is your surname?")

`Tracker` and `CheckResult` load on first use (PEP 562): the CLI imports this package,
and a command that needs no detector, database or index must not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from selfref.errors import (
    AgentNotSetError,
    ConfigError,
    InputError,
    RetrievalBlocked,
    SelfrefError,
    StorageError,
    UnknownAgentError,
)
from selfref.levels import Evidence, Level, Verdict

if TYPE_CHECKING:
    from selfref.core import CheckResult, Tracker

__all__ = [
    "AgentNotSetError",
    "CheckResult",
    "ConfigError",
    "Evidence",
    "InputError",
    "Level",
    "RetrievalBlocked",
    "SelfrefError",
    "StorageError",
    "Tracker",
    "UnknownAgentError",
    "Verdict",
]


def __getattr__(name: str) -> Any:
    if name in ("CheckResult", "Tracker"):
        from selfref import core

        return getattr(core, name)
    raise AttributeError(f"module 'selfref' has no attribute {name!r}")
