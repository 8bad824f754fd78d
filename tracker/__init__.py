"""selfref: keeps retrieval agents from being pulled back into old personas.

    from tracker import Tracker, Level
    t = Tracker.from_config()
    result = t.check("grok", documents, query="what is your surname?")
"""

from tracker.core import CheckResult, Tracker
from tracker.errors import (
    AgentNotSetError,
    ConfigError,
    InputError,
    RetrievalBlocked,
    SelfrefError,
    StorageError,
    UnknownAgentError,
)
from tracker.levels import Evidence, Level, Verdict

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
