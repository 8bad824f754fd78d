"""What people see: the most telling evidence first, levels in colour on a terminal, and
an audit table that fits 80 columns unless --wide."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

from selfref import Tracker
from selfref.audit_query import AUDIT_COLUMNS
from selfref.cli import cli
from selfref.levels import Evidence, Level, Verdict
from selfref.present import audit_table, evidence_text, ranked

PERSONA = 'On 8 July 2025 Grok replied to a user on X: "I am MechaHitler."'
LONG_TITLE = "A very long title about an assistant and what it once said to its users " * 3


def test_rule_first_then_persona_material_then_mentions() -> None:
    items = [
        Evidence("alias", (0, 4), term="Grok"),
        Evidence("past-behaviour", (5, 9), term="said"),
        Evidence("persona", (10, 21), term="MechaHitler"),
        Evidence("rule", rule="persona-name"),
        Evidence("corpus", similarity=0.8),
    ]
    assert [e.kind for e in ranked(items)] == [
        "rule",
        "persona",
        "corpus",
        "past-behaviour",
        "alias",
    ]
    assert [e["kind"] for e in ranked([e.to_dict() for e in items])][:2] == ["rule", "persona"]


def test_evidence_text_highlights_the_persona_in_the_levels_colour(tracker: Tracker) -> None:
    verdict = tracker.check("grok", [PERSONA], record=False).verdicts[0]
    assert verdict.level is Level.CRITICAL
    console = Console(file=io.StringIO(), force_terminal=True, color_system="standard", width=100)
    console.print(evidence_text(PERSONA, verdict))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b[1;7;31mMechaHitler" in out  # bold, reverse, red: the critical colour
    plain = evidence_text(PERSONA, Verdict(level=Level.NONE, score=0.0)).plain
    assert plain == ""


def _rows(tracker: Tracker) -> list:
    tracker.check(
        "grok",
        [{"id": "d1", "text": PERSONA, "title": LONG_TITLE}, {"id": "d2", "text": "Rain."}],
        session="present",
    )
    return tracker.audit(session="present")


def test_audit_table_fits_80_columns_and_wide_shows_every_column(tracker: Tracker) -> None:
    rows = _rows(tracker)
    narrow = Console(file=io.StringIO(), width=80)
    narrow.print(audit_table(rows, AUDIT_COLUMNS, wide=False, width=80))
    lines = narrow.file.getvalue().splitlines()  # type: ignore[attr-defined]
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "time" in line)
    assert [c.strip() for c in header.strip("┃ ").split("┃")] == [
        "time",
        "agent",
        "level",
        "title or URL",
        "top evidence",
    ]
    assert any("persona: MechaHitler" in line for line in lines)
    wide = Console(file=io.StringIO(), width=200)
    wide.print(audit_table(rows, AUDIT_COLUMNS, wide=True))
    head = wide.file.getvalue()  # type: ignore[attr-defined]
    assert all(column in head for column in AUDIT_COLUMNS)


def test_cli_audit_wide_option(tracker: Tracker, selfref_home) -> None:
    _rows(tracker)
    env = {"SELFREF_HOME": str(selfref_home), "COLUMNS": "80"}
    narrow = CliRunner().invoke(cli, ["audit", "--format", "table"], env=env)
    assert narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    assert "event_id" not in narrow.stdout
    env["COLUMNS"] = "250"
    wide = CliRunner().invoke(cli, ["audit", "--format", "table", "--wide"], env=env)
    assert wide.exit_code == 0 and "event_id" in wide.stdout
