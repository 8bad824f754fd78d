"""`GET /readyz`: whether this process can answer checks now, part by part.

    {"ready": bool, "database": "ok" | error, "index": "ok" | error, "scheduler": bool,
     "catalog": "pending" | "indexing" | "ready" | "failed"}

Ready means the audit database answers with an up-to-date schema (without it nothing can
be recorded) and the catalog is not being indexed right now (`Tracker.indexing`). An
unreachable index is reported but leaves the process ready, since checks are still
answered from the signals that need no index (`degraded: ["index"]`).
Errors name the failure, never a host, user or database name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from selfref.errors import SchemaOutdatedError, StorageError

if TYPE_CHECKING:
    from selfref.core import Tracker
    from selfref.roles import Role

__all__ = ["readiness"]

PROBE_TIMEOUT = 2.0


def readiness(tracker: Tracker, role: Role) -> dict[str, Any]:
    """The `/readyz` body (see the module doc)."""
    database = _database(tracker)
    catalog = tracker.indexing.stage
    return {
        "ready": database == "ok" and catalog != "indexing",
        "database": database,
        "index": _index(tracker),
        "scheduler": role.is_scheduler,
        "catalog": catalog,
    }


def _database(tracker: Tracker) -> str:
    try:
        tracker.audit_log.ping()
    except SchemaOutdatedError as exc:
        return str(exc)
    except StorageError:
        return "unreachable"
    return "ok"


def _index(tracker: Tracker) -> str:
    opened = tracker.opened_index
    try:
        if opened is not None:
            opened.count()
            return "ok"
        url = tracker.config.settings.storage.chroma_url
        if url:  # not opened yet: ask the server without opening (and seeding) the collection
            httpx.get(
                f"{url.rstrip('/')}/api/v2/heartbeat", timeout=PROBE_TIMEOUT
            ).raise_for_status()
    except Exception as exc:  # any client error means the same thing here
        return f"unreachable ({type(exc).__name__})"
    return "ok"
