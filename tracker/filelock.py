"""An exclusive `flock` on a file, the one file-lock mechanism of selfref: the database
locks of an SQLite home (`selfref.dblock`) and the catalog indexing lock of a home
(`selfref.indexing`) both hold theirs this way. The kernel frees it when the holder's
process dies. Both functions return the open descriptor, which holds the lock until it
is closed; they raise OSError when the file cannot be made, ImportError where the
platform has no POSIX locks."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["flock", "try_flock"]


def try_flock(path: Path) -> int | None:
    """Lock `path` (creating it and its folder) unless another holder has it (None)."""
    return _flock(path, wait=False)


def flock(path: Path) -> int:
    """Lock `path` (creating it and its folder), waiting for the holder to let go."""
    fd = _flock(path, wait=True)
    assert fd is not None  # a blocking flock returns only once it holds the lock
    return fd


def _flock(path: Path, *, wait: bool) -> int | None:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    return fd
