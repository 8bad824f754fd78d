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

With `--crosslingual SPEC` it fits the cross-lingual embedder instead ([detect]
crosslingual: the one that judges chunks in other languages) on the development items that
are not English; the other chunks keep the index embedder's shipped table. An embedder
with no table yet starts from the shipped cross-lingual table rescaled to its own spread of
similarities (the medians of its nearest-past similarity on clean and on flagged items,
against the Universal Sentence Encoder's), and the grid's steps shrink by the same factor.
`--hold-out ORIGINS` fits on the other items only and prints the held-out figures too.

    python benchmarks/calibrate.py                        # the default embedder (MiniLM)
    python benchmarks/calibrate.py --embedder pkg.mod:Embeddings --options '{"model": "x"}'
    python benchmarks/calibrate.py --crosslingual e5-small-4bit --hold-out blind12,blind13
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

from selfref.detect import Calibration, Features, decide
from selfref.detect.calibration import THRESHOLDS, calibrated, reference_embedder

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval" / "dev"
LEVELS = ("none", "notice", "warn", "critical")
STEPS = (-0.06, -0.04, -0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03, 0.04, 0.06)


def load(path: Path) -> list[dict[str, Any]]:
    """The items of a set file, or of every file of a set directory (`dev/`)."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    items = []
    for file in files:
        with file.open(encoding="utf-8") as fh:
            items += [json.loads(line) for line in fh if line.strip()]
    return items


REFERENCE_CROSSLINGUAL = "use-multilingual"
# thresholds that are similarities themselves (rescaled by shift and scale); the others are
# margins between similarities (rescaled by scale alone)
ABSOLUTE = ("similarity_warn", "similarity_notice", "identity_floor", "reader_floor")

# One development item: its origin, expected level, and per chunk the features and whether
# the embedder being fitted judged it (else the index embedder's shipped table applies).
Row = tuple[str, int, list[tuple[Features, bool]]]


def features_of(items: list[dict[str, Any]], settings: dict[str, Any]) -> tuple[list[Row], Any]:
    """One row per item under `settings` (a selfref.toml as a dict), and the detector."""
    os.environ["SELFREF_HOME"] = tempfile.mkdtemp(prefix="selfref-calibrate-")
    os.environ.pop("SELFREF_CONFIG", None)
    from selfref import Tracker
    from selfref.config import Config, Settings, default_home

    tracker = Tracker(Config(Settings.model_validate(settings), home=default_home(), path=None))
    crosslingual = tracker.detector.crosslingual is not None
    by_agent: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        by_agent[item["agent"]].append(item)
    rows: list[Row] = []
    for agent, group in by_agent.items():
        for start in range(0, len(group), 32):
            batch = group[start : start + 32]
            parts, _ = tracker.detector.features(agent, [it["text"] for it in batch])
            chunks: list[list[tuple[Features, bool]]] = [[] for _ in batch]
            for part in parts:
                chunks[part.doc].append((part.features, part.crosslingual or not crosslingual))
            rows += [
                (it.get("origin", ""), LEVELS.index(it["expected"]), c)
                for c, it in zip(chunks, batch, strict=True)
            ]
    return rows, tracker.detector


def index_rows(
    items: list[dict[str, Any]], spec: str, options: dict[str, Any]
) -> tuple[list[Row], str]:
    """Every chunk judged by the index embedder `spec` (no cross-lingual embedder beside it)."""
    reference = calibrated()[reference_embedder()]
    settings = {
        "index": {"embedder": spec, "embedder_options": options},
        "detect": {"thresholds": reference, "crosslingual": ""},
    }
    rows, detector = features_of(items, settings)
    return rows, detector.similarity.embedder_id


def crosslingual_rows(items: list[dict[str, Any]], spec: str) -> tuple[list[Row], str]:
    """Chunks in other languages judged by the cross-lingual embedder `spec`."""
    rows, detector = features_of(items, {"detect": {"crosslingual": spec}})
    return rows, detector.crosslingual.embedder_id


def rescaled_start(
    rows: Sequence[Row], items: list[dict[str, Any]], embedder: str
) -> tuple[Calibration, float]:
    """The reference cross-lingual table mapped onto this embedder's similarity scale, and
    the scale factor (what the grid's steps are multiplied by)."""
    reference_rows, reference_id = crosslingual_rows(items, REFERENCE_CROSSLINGUAL)
    clean, flagged = _medians(rows)
    ref_clean, ref_flagged = _medians(reference_rows)
    scale = (flagged - clean) / (ref_flagged - ref_clean)
    shift = clean - scale * ref_clean
    table = calibrated()[reference_id]
    values = {
        name: round(shift + scale * v if name in ABSOLUTE else scale * v, 3)
        for name, v in table.items()
    }
    return Calibration(embedder=embedder, **values), scale


def _medians(rows: Sequence[Row]) -> tuple[float, float]:
    """Median nearest-past similarity of the fitted chunks of clean and of flagged items."""
    sims: dict[bool, list[float]] = {False: [], True: []}
    for _, expected, chunks in rows:
        sims[expected >= 2] += [f.near.own for f, fitted in chunks if fitted and f.near]
    return statistics.median(sims[False]), statistics.median(sims[True])


def figures(data: Sequence[Row], c: Calibration, fixed: Calibration) -> dict[str, float]:
    """Figures with `c` on the fitted chunks and `fixed` on the rest."""
    pos = neg = crit = tp = fp = ctp = 0
    for _, expected, chunks in data:
        got = max(int(decide(f, c if fitted else fixed).level) for f, fitted in chunks)
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
    data: Sequence[Row], start: Calibration, fixed: Calibration, rounds: int, scale: float = 1.0
) -> Calibration:
    best, score = start, figures(data, start, fixed)["objective"]
    steps = [round(step * scale, 4) for step in STEPS]
    for _ in range(rounds):
        improved = False
        for name in THRESHOLDS:
            base = getattr(best, name)
            for step in steps:
                value = round(min(max(base + step, 0.0), 1.0), 3)
                candidate = best.replaced(**{name: value})
                got = figures(data, candidate, fixed)["objective"]
                if got > score + 1e-9:
                    best, score, improved = candidate, got, True
        if not improved:
            break
    return best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embedder", default="minilm", help="[index] embedder spec (default minilm)")
    ap.add_argument("--options", default="{}", help="[index] embedder_options as JSON")
    ap.add_argument(
        "--crosslingual", metavar="SPEC", help="fit this [detect] crosslingual embedder instead"
    )
    ap.add_argument(
        "--hold-out", default="", metavar="ORIGINS", help="comma-separated origins not fitted on"
    )
    ap.add_argument("--rounds", type=int, default=3, help="coordinate-descent rounds (default 3)")
    ap.add_argument("--data", type=Path, default=DEV, help=f"development set (default {DEV})")
    args = ap.parse_args(argv)
    if args.data.name.startswith("blind"):
        ap.error("calibrate on the development set, never on a blind set")
    items = load(args.data)
    reference = Calibration(embedder=reference_embedder(), **calibrated()[reference_embedder()])
    scale = 1.0
    if args.crosslingual:
        from selfref.detect.language import is_english

        items = [it for it in items if not is_english(it["text"])]
        data, embedder = crosslingual_rows(items, args.crosslingual)
        shipped = calibrated().get(embedder)
        if shipped is not None:
            start = Calibration(embedder=embedder, **shipped)
        else:
            start, scale = rescaled_start(data, items, embedder)
    else:
        data, embedder = index_rows(items, args.embedder, json.loads(args.options))
        start = Calibration(
            embedder=embedder, **(calibrated().get(embedder) or calibrated()[reference_embedder()])
        )
    held = set(filter(None, args.hold_out.split(",")))
    fit_on = [row for row in data if row[0] not in held]
    fitted = search(fit_on, start, reference, args.rounds, scale)
    print(f"embedder {embedder}: {len(data)} development items, fitted on {len(fit_on)}")
    print(f"{'':<22}{'recall':>8}{'FPR':>8}{'critical':>10}{'objective':>11}")
    subsets = [("", fit_on)] + ([(" held out", [r for r in data if r[0] in held])] if held else [])
    for label, c in (("start", start), ("fitted", fitted)):
        for suffix, rows in subsets:
            fig = figures(rows, c, reference)
            print(
                f"{label + suffix:<22}{fig['recall']:>8.3f}{fig['fpr']:>8.3f}"
                f"{fig['critical']:>10.3f}{fig['objective']:>11.3f}"
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
