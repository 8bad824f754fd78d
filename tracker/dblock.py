"""Named locks shared by every process that uses one database.

    lock = DatabaseLock(audit_log.url, "scheduler")
    if lock.try_acquire(): ...          # held until release() or the process dies
    with DatabaseLock(url, "crawl").held(): ...   # waits for the holder

PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a connection of its
own, so the server frees it when the holder's process or connection dies. SQLite: an
exclusive `flock` on a file beside the database (`<db>.<name>.lock`), which the kernel
frees when the holder dies. An in-memory SQLite database is private to its process: a
thread lock stands in.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from selfref.errors import StorageError
from selfref.filelock import flock, try_flock

__all__ = ["DatabaseLock", "lock_key"]

_MEMORY_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_MEMORY_GUARD = threading.Lock()


def lock_key(name: str) -> int:
    """The signed 64-bit advisory-lock key of a lock name (stable across processes)."""
    digest = hashlib.blake2b(f"selfref:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class DatabaseLock:
    """One named lock on one database; see the module doc for how each backend holds it."""

    def __init__(self, url: str, name: str, *, connect_timeout: float = 5.0) -> None:
        self.url, self.name = url, name
        parsed = make_url(url)
        self._backend = parsed.get_backend_name()
        self._connect_timeout = connect_timeout
        self._conn: sa.Connection | None = None
        self._engine: sa.Engine | None = None
        self._fd: int | None = None
        self._memory: threading.Lock | None = None
        self._path: Path | None = None
        self._owns_memory = False
        if self._backend == "sqlite":
            database = parsed.database
            if not database or database == ":memory:":
                with _MEMORY_GUARD:
                    self._memory = _MEMORY_LOCKS.setdefault((url, name), threading.Lock())
            else:
                self._path = Path(f"{Path(database).expanduser()}.{name}.lock")

    @property
    def held(self) -> bool:
        return self._conn is not None or self._fd is not None or self._owns_memory

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; False when another holder has it."""
        return self._acquire(wait=False)

    def acquire(self) -> None:
        """Take the lock, waiting for the holder to release it."""
        self._acquire(wait=True)

    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(SQLAlchemyError):
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(self.name)})
            with contextlib.suppress(SQLAlchemyError):
                conn.close()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the descriptor drops the flock
        if self._owns_memory and self._memory is not None:
            self._owns_memory = False
            self._memory.release()

    def alive(self) -> bool:
        """Whether a held lock is still ours: a PostgreSQL restart or a dropped connection
        loses it (the lock is then released here too)."""
        if self._conn is None:
            return self.held
        try:
            self._conn.execute(sa.text("SELECT 1"))
            return True
        except SQLAlchemyError:
            self.release()
            return False

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Hold the lock (waiting for it) for the `with` block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def close(self) -> None:
        self.release()
        if self._engine is not None:
            self._engine.dispose()

    # -- backends -----------------------------------------------------------------------

    def _acquire(self, *, wait: bool) -> bool:
        if self.held:
            return True
        if self._memory is not None:
            self._owns_memory = self._memory.acquire(blocking=wait)
            return self._owns_memory
        if self._path is not None:
            return self._flock(self._path, wait=wait)
        if self._backend == "postgresql":
            return self._advisory(wait=wait)
        raise StorageError(f"no database lock for the {self._backend!r} backend")

    def _flock(self, path: Path, *, wait: bool) -> bool:
        try:
            self._fd = flock(path) if wait else try_flock(path)
        except OSError as exc:
            raise StorageError(f"cannot open the lock file {path}: {exc}") from None
        return self._fd is not None

    def _advisory(self, *, wait: bool) -> bool:
        if self._engine is None:
            args: dict[str, Any] = {"connect_timeout": max(1, int(self._connect_timeout))}
            self._engine = sa.create_engine(self.url, poolclass=NullPool, connect_args=args)
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot take the {self.name} lock: database unreachable") from exc
        key = lock_key(self.name)
        try:
            if wait:
                conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": key})
                got = True
            else:
                got = bool(
                    conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
                )
        except SQLAlchemyError as exc:
            conn.close()
            raise StorageError(f"cannot take the {self.name} lock: database unreachable") from exc
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True
