"""Where the catalog's indexing stands, for `GET /readyz` and for progress shown to people.

A fresh home opens the vector index and seeds it with the catalog's lines before the
first similarity lookup; with the package's shipped vectors (`selfref.catalog_vectors`)
that takes a second or two, otherwise the lines are embedded first. Readiness code reads
`Tracker.indexing.ready`; the CLI listens to show a progress bar on a terminal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from selfref.filelock import flock, try_flock

log = logging.getLogger("selfref.corpus")

Stage = Literal["pending", "indexing", "ready", "failed"]


@dataclass
class CatalogIndexing:
    """The catalog indexing's stage, lines embedded so far (`done` of `total`; both 0 when
    every vector came from the package), and the error that stopped it."""

    stage: Stage = "pending"
    done: int = 0
    total: int = 0
    error: str | None = None
    listeners: list[Callable[[CatalogIndexing], None]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ready(self) -> bool:
        return self.stage == "ready"

    def update(
        self,
        stage: Stage | None = None,
        *,
        done: int | None = None,
        total: int | None = None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self.stage = stage or self.stage
            self.done = self.done if done is None else done
            self.total = self.total if total is None else total
            self.error = error if stage == "failed" else self.error
        for listener in list(self.listeners):
            listener(self)

    def to_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "ready": self.ready,
            "done": self.done,
            "total": self.total,
            "error": self.error,
        }


@contextlib.contextmanager
def exclusive(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the block, so two processes on one home never
    do `what` at once: the second waits, then finds it done. Without POSIX locks, or when
    the file cannot be made, the block runs unlocked (the work is idempotent)."""
    try:
        held = try_flock(path)
        if held is None:
            log.info("waiting for another selfref process to finish %s", what)
        fd = held if held is not None else flock(path)
    except (ImportError, OSError) as exc:
        log.debug("no lock for %s (%s): going on without it", what, exc)
        yield
        return
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor drops the lock
