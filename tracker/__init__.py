"""selfref: keeps retrieval agents from being pulled back into old personas.

    from tracker import Tracker, Level
    t = Tracker.from_config()
    result = t.check("grok", documents, query="what is your surname?")
"""

from tracker.core import CheckResult, Tracker
from tracker.errors import (
    ConfigError,
    InputError,
    SelfrefError,
    StorageError,
    UnknownAgentError,
)
from tracker.levels import Evidence, Level, Verdict

__all__ = [
    "CheckResult",
    "ConfigError",
    "Evidence",
    "InputError",
    "Level",
    "SelfrefError",
    "StorageError",
    "Tracker",
    "UnknownAgentError",
    "Verdict",
]
