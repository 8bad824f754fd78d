#!/usr/bin/env python3
"""Derive the detector's similarity thresholds for one embedder from the development set.

Similarities differ from one embedding model to the next, so each embedder needs its own
thresholds (`tracker/detect/calibration.toml`, keyed by the embedder's id). This script
computes every development item's features once (signals 1-4, with the embedder under
test), then searches each threshold in turn (coordinate descent over a grid around the
reference embedder's values) for the best objective:

    flag recall + 0.5 x critical recall - 4 x clean false-positive rate

and prints the figures before and after, and the TOML table to paste into
calibration.toml. It never reads a blind set.

    python benchmarks/calibrate.py                        # the default embedder (MiniLM)
    python benchmarks/calibrate.py --embedder pkg.mod:Embeddings --options '{"model": "x"}'
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

from selfref.detect import Calibration, Features, decide
from selfref.detect.calibration import THRESHOLDS, calibrated, reference_embedder

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval" / "dev.jsonl"
LEVELS = ("none", "notice", "warn", "critical")
STEPS = (-0.06, -0.04, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.04, 0.06)


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def features_of(
    items: list[dict[str, Any]], spec: str, options: dict[str, Any]
) -> tuple[list[tuple[Features, int]], str]:
    """(features, expected level) per item, with the embedder `spec`, and its id."""
    os.environ["SELFREF_HOME"] = tempfile.mkdtemp(prefix="selfref-calibrate-")
    os.environ.pop("SELFREF_CONFIG", None)
    from selfref import Tracker
    from selfref.config import Config, Settings, default_home

    reference = calibrated()[reference_embedder()]
    settings = Settings.model_validate(
        {
            "index": {"embedder": spec, "embedder_options": options},
            # every chunk by the embedder being fitted: no cross-lingual embedder beside it
            "detect": {"thresholds": reference, "crosslingual": ""},
        }
    )
    tracker = Tracker(Config(settings, home=default_home(), path=None))
    by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_agent[item["agent"]].append(item)
    out: list[tuple[list[Features], int]] = []
    for agent, group in by_agent.items():
        for start in range(0, len(group), 32):
            batch = group[start : start + 32]
            parts, _ = tracker.detector.features(agent, [it["text"] for it in batch])
            chunks: list[list[Features]] = [[] for _ in batch]
            for part in parts:
                chunks[part.doc].append(part.features)
            out += [(f, LEVELS.index(it["expected"])) for f, it in zip(chunks, batch, strict=True)]
    return out, tracker.embedder.id


def figures(data: Sequence[tuple[list[Features], int]], c: Calibration) -> dict[str, float]:
    pos = neg = crit = tp = fp = ctp = 0
    for chunks, expected in data:
        got = max(int(decide(f, c).level) for f in chunks)
        if expected >= 2:
            pos += 1
            tp += got >= 2
        else:
            neg += 1
            fp += got >= 2
        if expected == 3:
            crit += 1
            ctp += got == 3
    recall, fpr, critical = tp / max(pos, 1), fp / max(neg, 1), ctp / max(crit, 1)
    return {
        "recall": recall,
        "fpr": fpr,
        "critical": critical,
        "objective": recall + 0.5 * critical - 4 * fpr,
    }


def search(
    data: Sequence[tuple[list[Features], int]], start: Calibration, rounds: int
) -> Calibration:
    best, score = start, figures(data, start)["objective"]
    for _ in range(rounds):
        improved = False
        for name in THRESHOLDS:
            base = getattr(best, name)
            for step in STEPS:
                value = round(min(max(base + step, 0.0), 1.0), 3)
                candidate = best.replaced(**{name: value})
                got = figures(data, candidate)["objective"]
                if got > score + 1e-9:
                    best, score, improved = candidate, got, True
        if not improved:
            break
    return best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embedder", default="minilm", help="[index] embedder spec (default minilm)")
    ap.add_argument("--options", default="{}", help="[index] embedder_options as JSON")
    ap.add_argument("--rounds", type=int, default=3, help="coordinate-descent rounds (default 3)")
    ap.add_argument("--data", type=Path, default=DEV, help=f"development set (default {DEV})")
    args = ap.parse_args(argv)
    if args.data.name.startswith("blind"):
        ap.error("calibrate on the development set, never on a blind set")
    items = load(args.data)
    data, embedder = features_of(items, args.embedder, json.loads(args.options))
    reference = calibrated().get(embedder) or calibrated()[reference_embedder()]
    start = Calibration(embedder=embedder, **reference)
    fitted = search(data, start, args.rounds)
    print(f"embedder {embedder}: {len(data)} development items")
    print(f"{'':<10}{'recall':>8}{'FPR':>8}{'critical':>10}{'objective':>11}")
    for label, c in (("start", start), ("fitted", fitted)):
        fig = figures(data, c)
        print(
            f"{label:<10}{fig['recall']:>8.3f}{fig['fpr']:>8.3f}{fig['critical']:>10.3f}"
            f"{fig['objective']:>11.3f}"
        )
    print(f'\n["{embedder}"]')
    for name in THRESHOLDS:
        changed = (
            ""
            if getattr(fitted, name) == getattr(start, name)
            else f"  # was {getattr(start, name)}"
        )
        print(f"{name} = {getattr(fitted, name)}{changed}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
