"""The commands that need no detector, database or index import none of them, and `audit`
reads a SQLite home without SQLAlchemy (the speed itself is measured by
benchmarks/cli_startup.py, not asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import index

HEAVY = ("numpy", "chromadb", "langchain_core", "sqlalchemy", "onnxruntime", "tracker.detect")
PROBE = """
import sys
from tracker.cli import main
try:
    main({args!r})
except SystemExit:
    pass
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def _loaded(args: list[str], home: Path) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        env={**os.environ, "SELFREF_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return {m for m in line.removeprefix("LOADED:").split(",") if m}


@pytest.mark.parametrize("args", [["--help"], ["check"], ["audit", "--level", "bogus"]])
def test_help_and_usage_errors_load_nothing_heavy(args: list[str], tmp_path: Path) -> None:
    assert _loaded(args, tmp_path) == set()


@pytest.mark.parametrize("args", [["agents", "list"], ["agents", "show", "grok"]])
def test_agents_load_no_database_index_or_embedder(args: list[str], tmp_path: Path) -> None:
    assert _loaded(args, tmp_path) == set()
    assert not (tmp_path / "selfref.sqlite3").exists()


@pytest.mark.parametrize(
    "args",
    [["audit"], ["audit", "--agent", "grok", "--since", "2025-07-01", "--format", "table"]],
)
def test_audit_of_a_sqlite_home_loads_no_database_library(args: list[str], tmp_path: Path) -> None:
    from tests.tracker.test_audit_readers import record_events
    from tracker.audit import AuditLog

    log = AuditLog(f"sqlite:///{tmp_path / 'selfref.sqlite3'}")
    record_events(log)
    log.dispose()
    assert _loaded(args, tmp_path) == set()


def test_index_exports_resolve() -> None:
    for name in index.__all__:
        assert getattr(index, name).__name__ == name


def test_the_default_embedder_is_calibrated() -> None:
    """Why the default config skips the calibration check at load (and its import)."""
    from index.embedder import MINILM_ID
    from tracker.detect import load_calibration

    assert load_calibration(MINILM_ID, {}).embedder == MINILM_ID


def test_a_config_that_needs_it_still_checks_the_calibration_at_load(write_config) -> None:
    from tracker.config import load_config
    from tracker.core import Tracker
    from tracker.errors import ConfigError

    write_config("[detect]\nthresholds = { no_such_threshold = 0.5 }\n")
    with pytest.raises(ConfigError, match=r"detect\.thresholds: unknown key"):
        Tracker(load_config())
