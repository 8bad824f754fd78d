"""The audit log of a SQLite home read with the standard library's sqlite3, so that
`selfref audit` answers without importing SQLAlchemy and SQLModel (about half a second of
start-up: benchmarks/cli_startup.py).

The query is `AuditLog.rows`' own, built from the same definitions (`selfref.audit_query`:
columns, conditions, order), and times are compared and read in the text SQLAlchemy
stores them as on SQLite. Only a database at the schema's head is read here: a missing,
fresh, older or newer one is left to `AuditLog`, which creates, upgrades or refuses it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from typing import Any
from urllib.parse import quote

from selfref.audit_query import (
    DOCUMENT_COLUMNS,
    DOCUMENTS,
    EVENTS,
    NEWEST_FIRST,
    AuditFilter,
    AuditRow,
    audit_row,
)
from selfref.errors import StorageError, describe_storage_failure
from selfref.migrations import HEAD, VERSION_TABLE

PREFIX = "sqlite:///"

_SELECT = (
    f"SELECT {', '.join(f'd.{name}' for name in DOCUMENT_COLUMNS)}, e.query "
    f"FROM {DOCUMENTS} AS d JOIN {EVENTS} AS e ON e.id = d.event_id"
)
_ORDER = " ORDER BY " + ", ".join(f"d.{name} DESC" for name in NEWEST_FIRST)
_CREATED_AT = DOCUMENT_COLUMNS.index("created_at")


def database_file(url: str) -> str | None:
    """The file of a plain `sqlite:///PATH` URL; None for any other URL (another backend, a
    driver or options, in memory, escapes), which only `AuditLog` reads."""
    path = url.removeprefix(PREFIX)
    if path == url or path in ("", ":memory:") or any(c in path for c in "?%~"):
        return None
    return path


def read_rows(
    url: str, where: AuditFilter, *, limit: int | None, busy_timeout: float
) -> list[AuditRow] | None:
    """Documents matching `where`, newest first, as `AuditLog.rows` reads them; None when
    `url` is not a plain SQLite file or its database is not at the schema's head."""
    path = database_file(url)
    if path is None:
        return None
    try:  # mode=rw: a missing file stays missing (AuditLog creates it)
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=busy_timeout)
    except sqlite3.Error:
        return None
    with contextlib.closing(conn):
        try:
            revision = conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
        except sqlite3.Error:  # no version table, not a database, locked: AuditLog says which
            return None
        if revision is None or revision[0] != HEAD:
            return None
        conditions = where.on_documents()
        sql = _SELECT
        if conditions:
            sql += " WHERE " + " AND ".join(f"d.{name} {op} ?" for name, op, _ in conditions)
        sql += _ORDER + (" LIMIT ?" if limit else "")
        params = [_stored(value) for _, _, value in conditions] + ([limit] if limit else [])
        try:
            found = conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(describe_storage_failure(str(exc), "use", url)) from exc
    return [audit_row(_values(row)) for row in found]


def _stored(value: Any) -> Any:
    """A condition's value as SQLAlchemy stores it on SQLite: a UTC time as naive ISO text
    with microseconds (`2025-07-09 12:00:00.000000`)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def _values(row: tuple[Any, ...]) -> dict[str, Any]:
    values = dict(zip((*DOCUMENT_COLUMNS, "query"), row, strict=True))
    values["created_at"] = dt.datetime.fromisoformat(row[_CREATED_AT])
    return values
