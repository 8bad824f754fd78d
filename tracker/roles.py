"""What a selfref process does beside serving the API: run the scheduler, or not.

Exactly one process per database runs the scheduler: the one holding the database's
`scheduler` lock (`selfref.dblock`). `selfref daemon` tries for the lock at start and every
`[scheduler] lock_retry` after: without it the process serves the API only (role
`standby`) and takes over when the holder dies; holding it, it checks every `lock_retry`
that the lock is still its own (a PostgreSQL restart drops it) and stands down if not.
`selfref serve` never tries (role `api`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from selfref.dblock import DatabaseLock
from selfref.errors import StorageError

__all__ = ["API_ONLY", "ApiOnly", "Role", "SchedulerRole"]

log = logging.getLogger("selfref.roles")

SCHEDULER, STANDBY, API = "scheduler", "standby", "api"


class Role:
    """The role a process reports in its log, `/healthz`, `/readyz` and metrics."""

    @property
    def name(self) -> str:
        raise NotImplementedError

    @property
    def is_scheduler(self) -> bool:
        return self.name == SCHEDULER


class ApiOnly(Role):
    """`selfref serve`: the API alone, never a scheduler."""

    @property
    def name(self) -> str:
        return API


API_ONLY = ApiOnly()


class SchedulerRole(Role):
    """Holds the scheduler lock while it can, calling `on_gain` when this process becomes
    the scheduler and `on_lose` when it stops being it."""

    def __init__(
        self,
        lock: DatabaseLock,
        *,
        on_gain: Callable[[], None],
        on_lose: Callable[[], None],
        retry: float = 10.0,
    ) -> None:
        self.lock = lock
        self.on_gain, self.on_lose = on_gain, on_lose
        self.retry = retry
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._scheduler = False
        self._said_standby = False

    @property
    def name(self) -> str:
        return SCHEDULER if self._scheduler else STANDBY

    def start(self) -> None:
        """Try for the lock now (so the first log line and health answer are right), then
        keep trying, or keep checking it, on a thread of its own."""
        self._step()
        self._thread = threading.Thread(target=self._loop, name="selfref-role", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop trying; a held lock is given back after `on_lose` ran."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._scheduler:
            self._scheduler = False
            self.on_lose()
            log.info("role: scheduler lock released (shutting down)")
        self.lock.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.retry):
            self._step()

    def _step(self) -> None:
        if self._scheduler:
            if not self.lock.alive():
                self._lose("lost the scheduler lock (database connection dropped)")
            return
        try:
            got = self.lock.try_acquire()
        except StorageError as exc:
            log.warning("scheduler lock: %s; serving the API only, retrying", exc)
            return
        if got:
            self._scheduler = True
            self._said_standby = False
            log.info("role: scheduler (this process holds the scheduler lock and runs the jobs)")
            self.on_gain()
        elif not self._said_standby:
            self._said_standby = True
            log.info(
                "role: standby (another process holds the scheduler lock): serving the API "
                "only, running no jobs; taking over if it stops (checking every %gs)",
                self.retry,
            )

    def _lose(self, why: str) -> None:
        self._scheduler = False
        log.warning("role: standby (%s): jobs paused", why)
        self.on_lose()
        self.lock.release()
