"""`selfref demo` runs the whole loop on loopback: crawl, check, alert, audit."""

from __future__ import annotations

import shutil
from pathlib import Path

import index
from tracker.demo import run_demo


def test_demo_runs_the_loop(
    tmp_path: Path, seeded_chroma: Path, embedder: index.MiniLMEmbedder
) -> None:
    home = tmp_path / "demo-home"
    home.mkdir()
    shutil.copytree(seeded_chroma, home / "chroma")
    lines: list[str] = []
    seen = run_demo(lines.append, home=home, embedder=embedder)

    assert seen["crawl"]["new"] == 2 and seen["crawl"]["skipped"] == 2
    assert seen["levels"][0] in ("warn", "critical")
    assert seen["levels"][1:] == ["none", "notice"]
    assert seen["alerts"] == 1
    assert seen["audit"] == 1
    assert any("signature ok" in line for line in lines)
    assert (home / "selfref.toml").exists()
