"""`selfref demo` runs the whole loop on loopback: crawl, check, alert, audit, and leaves
a kept home where its printed `selfref audit` command finds the event."""

from __future__ import annotations

import io
import json
import shlex
import shutil
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from selfref import index
from selfref.cli import cli
from selfref.demo import run_demo


def test_demo_runs_the_loop_and_its_audit_command_finds_the_event(
    tmp_path: Path, seeded_chroma: Path, embedder: index.MiniLMEmbedder
) -> None:
    home = tmp_path / "demo-home"
    home.mkdir()
    shutil.copytree(seeded_chroma, home / "chroma")
    out = io.StringIO()
    seen = run_demo(Console(file=out, width=100), home=home, embedder=embedder)
    text = out.getvalue()

    assert seen["crawl"]["new"] == 2 and seen["crawl"]["skipped"] == 2
    assert seen["levels"] == ["critical", "warn", "none", "notice"]
    assert seen["alerts"] == 1
    assert seen["audit"] == 2
    assert "signature verified" in text
    # the persona document's evidence leads with what is most telling: the persona name
    persona = text.index("r0 critical")
    assert text.index("persona", persona) < text.index("corpus:", persona)
    assert seen["command"] in text.replace("\n", "")

    argv = shlex.split(seen["command"])[1:]  # without "selfref"
    result = CliRunner().invoke(cli, [*argv, "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["event_id"] for r in rows} == {seen["event_id"]}
    assert sorted(r["level"] for r in rows) == ["critical", "none", "notice", "warn"]
