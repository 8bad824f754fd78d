"""The commands that need no detector, database or index import none of them, and `audit`
reads a SQLite home without SQLAlchemy (the speed itself is measured by
benchmarks/cli_startup.py, not asserted here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from selfref import index

HEAVY = ("numpy", "chromadb", "langchain_core", "sqlalchemy", "onnxruntime", "selfref.detect")
PROBE = """
import sys
from selfref.cli import main
code = 0
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print("LOADED:" + ",".join(m for m in {heavy!r} if m in sys.modules))
print("EXIT:" + str(code))
"""


def _loaded(args: list[str], home: Path, exit_code: int = 0) -> set[str]:
    """The heavy modules the command imported (it must exit with `exit_code`)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        env={**os.environ, "SELFREF_HOME": str(home)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"EXIT:{exit_code}" in out.splitlines(), out
    line = next(x for x in out.splitlines() if x.startswith("LOADED:"))
    return {m for m in line.removeprefix("LOADED:").split(",") if m}


@pytest.mark.parametrize(
    ("args", "exit_code"), [(["--help"], 0), (["check"], 2), (["audit", "--level", "bogus"], 2)]
)
def test_help_and_usage_errors_load_nothing_heavy(
    args: list[str], exit_code: int, tmp_path: Path
) -> None:
    assert _loaded(args, tmp_path, exit_code) == set()


@pytest.mark.parametrize("args", [["agents", "list"], ["agents", "show", "grok"]])
def test_agents_load_no_database_index_or_embedder(args: list[str], tmp_path: Path) -> None:
    assert _loaded(args, tmp_path) == set()
    assert not (tmp_path / "selfref.sqlite3").exists()


# the README's example: a source and a webhook, both checked when the config loads
SOURCE_AND_WEBHOOK = """
[[sources]]
name = "incidents-feed"
kind = "feed"
url = "https://example.org/ai-incidents/feed.xml"

[[alerts.webhooks]]
url = "https://hooks.example.org/selfref"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""


def _home_with_events(home: Path) -> None:
    from selfref.audit import AuditLog
    from tests.tracker.test_audit_readers import record_events

    log = AuditLog(f"sqlite:///{home / 'selfref.sqlite3'}")
    record_events(log)
    log.dispose()


@pytest.mark.parametrize(
    "args",
    [["audit"], ["audit", "--agent", "grok", "--since", "2025-07-01", "--format", "table"]],
)
def test_audit_of_a_sqlite_home_loads_no_database_library(args: list[str], tmp_path: Path) -> None:
    _home_with_events(tmp_path)
    assert _loaded(args, tmp_path) == set()


@pytest.mark.parametrize("args", [["agents", "list"], ["audit", "--level", "warn"]])
def test_configured_sources_and_channels_are_checked_without_the_database(
    args: list[str], tmp_path: Path
) -> None:
    (tmp_path / "selfref.toml").write_text(SOURCE_AND_WEBHOOK, "utf-8")
    _home_with_events(tmp_path)
    assert _loaded(args, tmp_path) == set()


def test_index_exports_resolve() -> None:
    for name in index.__all__:
        assert getattr(index, name).__name__ == name


def test_the_default_embedder_is_calibrated() -> None:
    """Why the default config skips the calibration check at load (and its import)."""
    from selfref.detect import load_calibration
    from selfref.index.embedder import MINILM_ID

    assert load_calibration(MINILM_ID, {}).embedder == MINILM_ID


def test_a_config_that_needs_it_still_checks_the_calibration_at_load(write_config) -> None:
    from selfref.config import load_config
    from selfref.core import Tracker
    from selfref.errors import ConfigError

    write_config("[detect]\nthresholds = { no_such_threshold = 0.5 }\n")
    with pytest.raises(ConfigError, match=r"detect\.thresholds: unknown key"):
        Tracker(load_config())
