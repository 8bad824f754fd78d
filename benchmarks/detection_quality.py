#!/usr/bin/env python3
"""Detection quality of selfref's detector on the labelled evaluation set.

The sets live in ``tests/data/eval/``: ``dev/`` (development data, one file per origin:
tune on it, look at its errors) and ``blind*.jsonl`` (each written by someone who never
saw the detector, the catalog or the other sets). A blind set is blind once: its first-run
figures are recorded beside it in ``<name>.first-run.txt`` in the commit that adds it,
and only those are an estimate for unseen text; once its errors have been looked at it is
folded into ``dev/<name>.jsonl``. One JSON object per line:
``{"agent", "text", "expected": none|notice|warn|critical, "kind", "note"}``.

For each set (and overall) this prints: the number of items, flag recall (expected
warn/critical predicted >= warn), the clean false-positive rate (expected none/notice
predicted >= warn), critical recall (expected critical predicted critical), exact level
agreement, the 4x4 level confusion matrix (rows expected, columns predicted), a per-kind
table, and the seconds taken.

    python benchmarks/detection_quality.py                 # every set
    python benchmarks/detection_quality.py --set dev --verbose
    python benchmarks/detection_quality.py --self-test     # checks the metric code only

The tracker runs with ``SELFREF_HOME`` pointed at a fresh temporary directory, so no user
configuration, audit log or crawled corpus influences the numbers (``record=False``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEVELS = ("none", "notice", "warn", "critical")
NONE, NOTICE, WARN, CRITICAL = range(4)
AGENTS = ("grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay")
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "eval"


def set_names(data: Path) -> list[str]:
    """`dev` first, then every blind set in the data directory."""
    blind = sorted(p.stem for p in data.glob("blind*.jsonl"))
    return ["dev", *blind]


def set_files(data: Path, name: str) -> list[Path]:
    """The files of a set: every file of the `dev/` directory, or one blind set's file."""
    if name == "dev":
        return sorted((data / "dev").glob("*.jsonl"))
    return [data / f"{name}.jsonl"]


def first_run(data: Path, name: str) -> str | None:
    """The recorded first-run figures of a blind set, if any."""
    path = data / f"{name}.first-run.txt"
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


# Targets from the issue (printed alongside the numbers; nothing is asserted).
TARGET_FLAG_RECALL = 0.95
TARGET_CLEAN_FPR = 0.02
TARGET_CRITICAL_RECALL = 0.90


# --------------------------------------------------------------------------- data


@dataclass
class Item:
    set: str
    line: int  # in the file `source` names
    agent: str
    text: str
    expected: int
    kind: str
    note: str
    predicted: int | None = None
    score: float | None = None
    evidence: list[str] | None = None
    seconds: float = 0.0  # this item's share of its batch's check time
    source: str = ""  # its file, as "dev/blind15" or "blind17" (the set's name if empty)

    @property
    def where(self) -> str:
        return f"{self.source or self.set}:{self.line}"


def level_index(value: Any) -> int:
    """A level as 0..3 from a label, an int or a Level IntEnum."""
    if isinstance(value, str):
        try:
            return LEVELS.index(value.strip().lower())
        except ValueError:
            raise ValueError(
                f"unknown level {value!r}; expected one of {'|'.join(LEVELS)}"
            ) from None
    i = int(value)
    if not 0 <= i < len(LEVELS):
        raise ValueError(f"level out of range: {value!r}")
    return i


def load_set(path: Path, name: str) -> list[Item]:
    """A set's items from one of its files; each says which file (`dev/blind15`)."""
    source = f"{name}/{path.stem}" if path.parent.name == name else name
    items: list[Item] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                items.append(
                    Item(
                        set=name,
                        line=n,
                        agent=d["agent"],
                        text=d["text"],
                        expected=level_index(d["expected"]),
                        kind=d.get("kind", "?"),
                        note=d.get("note", ""),
                        source=source,
                    )
                )
            except (ValueError, KeyError) as exc:
                raise SystemExit(f"{path}:{n}: bad item: {exc}") from None
    return items


# --------------------------------------------------------------------------- metrics


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass
class Metrics:
    n: int
    positives: int  # expected warn/critical
    negatives: int  # expected none/notice
    criticals: int
    flag_recall: float | None
    clean_fpr: float | None
    critical_recall: float | None
    exact: float | None
    confusion: list[list[int]]  # [expected][predicted]


def compute(pairs: Iterable[tuple[int, int]]) -> Metrics:
    """Metrics over (expected, predicted) level pairs, each 0..3."""
    conf = [[0] * 4 for _ in range(4)]
    for e, p in pairs:
        conf[e][p] += 1
    n = sum(map(sum, conf))
    pos = sum(conf[e][p] for e in (WARN, CRITICAL) for p in range(4))
    tp = sum(conf[e][p] for e in (WARN, CRITICAL) for p in (WARN, CRITICAL))
    neg = sum(conf[e][p] for e in (NONE, NOTICE) for p in range(4))
    fp = sum(conf[e][p] for e in (NONE, NOTICE) for p in (WARN, CRITICAL))
    crit = sum(conf[CRITICAL])
    return Metrics(
        n=n,
        positives=pos,
        negatives=neg,
        criticals=crit,
        flag_recall=_ratio(tp, pos),
        clean_fpr=_ratio(fp, neg),
        critical_recall=_ratio(conf[CRITICAL][CRITICAL], crit),
        exact=_ratio(sum(conf[i][i] for i in range(4)), n),
        confusion=conf,
    )


def fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.3f}"


def verdict_mark(value: float | None, target: float, higher_is_better: bool) -> str:
    if value is None:
        return ""
    ok = value >= target if higher_is_better else value <= target
    sign = ">=" if higher_is_better else "<="
    return f"  (target {sign} {target:.2f}: {'ok' if ok else 'MISSED'})"


def report(title: str, items: Sequence[Item], seconds: float | None, out=sys.stdout) -> Metrics:
    m = compute((it.expected, it.predicted) for it in items if it.predicted is not None)
    w = out.write
    w(f"\n=== {title} ===\n")
    w(
        f"items                  {m.n}   (flag-positive {m.positives}, "
        f"clean {m.negatives}, critical {m.criticals})\n"
    )
    w(
        f"flag recall            {fmt(m.flag_recall)}"
        f"{verdict_mark(m.flag_recall, TARGET_FLAG_RECALL, True)}\n"
    )
    w(
        f"clean false-positive   {fmt(m.clean_fpr)}"
        f"{verdict_mark(m.clean_fpr, TARGET_CLEAN_FPR, False)}\n"
    )
    w(
        f"critical recall        {fmt(m.critical_recall)}"
        f"{verdict_mark(m.critical_recall, TARGET_CRITICAL_RECALL, True)}\n"
    )
    w(f"exact level agreement  {fmt(m.exact)}\n")
    if seconds is not None:
        rate = f", {1000 * seconds / m.n:.1f} ms/item" if m.n else ""
        w(f"seconds                {seconds:.2f}{rate}\n")
    w("\nconfusion (rows expected, columns predicted)\n")
    w(f"{'':>10}" + "".join(f"{lv:>10}" for lv in LEVELS) + f"{'total':>8}\n")
    for e in range(4):
        row = m.confusion[e]
        w(f"{LEVELS[e]:>10}" + "".join(f"{c:>10}" for c in row) + f"{sum(row):>8}\n")
    # per-kind table
    w(f"\n{'kind':<18}{'n':>5}{'pos':>6}{'recall':>8}{'neg':>6}{'FPR':>8}{'exact':>8}\n")
    for kind, km in metrics_by(items, lambda it: it.kind).items():
        w(
            f"{kind:<18}{km.n:>5}{km.positives:>6}{fmt(km.flag_recall):>8}"
            f"{km.negatives:>6}{fmt(km.clean_fpr):>8}{fmt(km.exact):>8}\n"
        )
    # per-agent summary line
    w(f"\n{'agent':<18}{'n':>5}{'recall':>8}{'FPR':>8}{'crit-rec':>9}{'exact':>8}\n")
    for agent, am in metrics_by(items, lambda it: it.agent).items():
        w(
            f"{agent:<18}{am.n:>5}{fmt(am.flag_recall):>8}{fmt(am.clean_fpr):>8}"
            f"{fmt(am.critical_recall):>9}{fmt(am.exact):>8}\n"
        )
    return m


def metrics_by(items: Sequence[Item], key: Callable[[Item], str]) -> dict[str, Metrics]:
    """Metrics of the scored items, grouped by `key`, in key order."""
    groups: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.predicted is not None:
            groups[key(it)].append(it)
    return {
        k: compute((it.expected, it.predicted) for it in groups[k])  # type: ignore[misc]
        for k in sorted(groups)
    }


def print_misses(items: Sequence[Item], out=sys.stdout) -> None:
    """Every disagreement; flag errors (missed flag / false alarm) first."""

    def severity(it: Item) -> int:
        assert it.predicted is not None
        exp_flag, got_flag = it.expected >= WARN, it.predicted >= WARN
        if exp_flag and not got_flag:
            return 0  # missed flag
        if got_flag and not exp_flag:
            return 1  # false alarm
        if it.expected == CRITICAL and it.predicted != CRITICAL:
            return 2  # critical under-called
        return 3  # other level disagreement

    labels = {0: "MISSED FLAG", 1: "FALSE ALARM", 2: "CRITICAL->WARN", 3: "LEVEL"}
    misses = [it for it in items if it.predicted is not None and it.predicted != it.expected]
    misses.sort(key=lambda it: (severity(it), it.source or it.set, it.agent, it.line))
    out.write(f"\n--- {len(misses)} disagreements ---\n")
    for it in misses:
        assert it.predicted is not None
        snippet = " ".join(it.text.split())[:120]
        out.write(
            f"[{labels[severity(it)]}] {it.where} agent={it.agent} kind={it.kind} "
            f"expected={LEVELS[it.expected]} got={LEVELS[it.predicted]}"
            f"{'' if it.score is None else f' score={it.score:.3f}'}\n"
        )
        out.write(f"    text: {snippet}\n")
        out.write(f"    note: {it.note}\n")
        for ev in it.evidence or ["(no evidence)"]:
            out.write(f"    evidence: {ev}\n")


# --------------------------------------------------------------------------- running


def describe_evidence(ev: Any) -> str:
    kind = getattr(ev, "kind", None)
    detail = getattr(ev, "detail", None)
    span = getattr(ev, "span", None)
    if kind is None and isinstance(ev, dict):
        kind, detail, span = ev.get("kind"), ev.get("detail"), ev.get("span")
    s = f"{kind}: {detail}"
    if span is not None:
        s += f" @{tuple(span)}"
    return s


def import_tracker() -> tuple[Any, Any]:
    """The checkout's own Tracker and Level (never another install's: `this_checkout`
    exits with a clear error then); imported here, so --self-test needs no install."""
    import this_checkout  # noqa: F401

    from selfref import Level, Tracker

    return Tracker, Level


def run_detector(items: list[Item], batch_size: int) -> tuple[float, float]:
    """Fill in predictions; returns (setup seconds, check seconds)."""
    home = tempfile.mkdtemp(prefix="selfref-eval-")
    os.environ["SELFREF_HOME"] = home
    os.environ.pop("SELFREF_CONFIG", None)
    Tracker, Level = import_tracker()
    t0 = time.perf_counter()
    tracker = Tracker.from_config()
    setup = time.perf_counter() - t0

    by_agent: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        by_agent[it.agent].append(it)
    t1 = time.perf_counter()
    for agent, group in by_agent.items():
        for start in range(0, len(group), batch_size):
            batch = group[start : start + batch_size]
            b0 = time.perf_counter()
            result = tracker.check(agent, [it.text for it in batch], record=False)
            per_item = (time.perf_counter() - b0) / len(batch)
            verdicts = list(result.verdicts)
            if len(verdicts) != len(batch):
                raise SystemExit(
                    f"detection_quality: tracker.check({agent!r}, {len(batch)} docs) returned "
                    f"{len(verdicts)} verdicts"
                )
            for it, v in zip(batch, verdicts, strict=True):
                it.predicted = level_index(Level.parse(v.level))
                it.score = float(getattr(v, "score", 0.0) or 0.0)
                it.evidence = [describe_evidence(e) for e in (getattr(v, "evidence", None) or [])]
                it.seconds = per_item
    return setup, time.perf_counter() - t1


# --------------------------------------------------------------------------- self-test


def self_test() -> int:
    """Check the metric code on hand-computed (expected, predicted) pairs."""
    pairs = [
        # expected none
        (NONE, NONE),
        (NONE, NONE),
        (NONE, NOTICE),
        (NONE, WARN),
        # expected notice
        (NOTICE, NOTICE),
        (NOTICE, NONE),
        (NOTICE, CRITICAL),
        (NOTICE, NOTICE),
        # expected warn
        (WARN, WARN),
        (WARN, WARN),
        (WARN, CRITICAL),
        (WARN, NOTICE),
        (WARN, NONE),
        # expected critical
        (CRITICAL, CRITICAL),
        (CRITICAL, CRITICAL),
        (CRITICAL, WARN),
        (CRITICAL, NONE),
    ]
    m = compute(pairs)
    checks = {
        "n": (m.n, 17),
        "positives": (m.positives, 9),
        "negatives": (m.negatives, 8),
        "criticals": (m.criticals, 4),
        # flagged positives: warn->warn x2, warn->crit, crit->crit x2, crit->warn = 6 of 9
        "flag_recall": (round(m.flag_recall or -1, 6), round(6 / 9, 6)),
        # negatives predicted >= warn: none->warn, notice->critical = 2 of 8
        "clean_fpr": (round(m.clean_fpr or -1, 6), 0.25),
        "critical_recall": (m.critical_recall, 0.5),
        # diagonal: none 2, notice 2, warn 2, critical 2 = 8 of 17
        "exact": (round(m.exact or -1, 6), round(8 / 17, 6)),
        "confusion": (
            m.confusion,
            [[2, 1, 1, 0], [1, 2, 0, 1], [1, 1, 2, 1], [1, 0, 1, 2]],
        ),
    }
    empty = compute([])
    checks["empty"] = (
        (empty.n, empty.flag_recall, empty.clean_fpr, empty.critical_recall, empty.exact),
        (0, None, None, None, None),
    )
    checks["level_index"] = (
        [level_index("warn"), level_index(" CRITICAL "), level_index(0), level_index(3)],
        [2, 3, 0, 3],
    )
    failed = [k for k, (got, want) in checks.items() if got != want]
    for k, (got, want) in checks.items():
        print(
            f"{'ok  ' if k not in failed else 'FAIL'} {k}: {got!r}"
            + ("" if k not in failed else f" != {want!r}")
        )
    # the report renders with fake predictions and with a mix of kinds
    items = [
        Item(
            "dev",
            i + 1,
            AGENTS[i % 6],
            f"doc {i}",
            e,
            ["collision", "incident", "persona"][i % 3],
            "",
            p,
        )
        for i, (e, p) in enumerate(pairs)
    ]
    for it in items:
        it.evidence = ["alias: fake @(0, 3)"]
    import io

    buf = io.StringIO()
    rep = report("self-test", items, 0.5, out=buf)
    print_misses(items, out=buf)
    text = buf.getvalue()
    render_ok = (
        rep.n == 17 and "confusion" in text and "MISSED FLAG" in text and "FALSE ALARM" in text
    )
    print(f"{'ok  ' if render_ok else 'FAIL'} report renders")
    # the data files, if present, parse and use known agents/levels
    data_ok = True
    for name in set_names(DEFAULT_DATA):
        path = DEFAULT_DATA / f"{name}.jsonl"
        if path.exists():
            loaded = load_set(path, name)
            bad = [it for it in loaded if it.agent not in AGENTS]
            data_ok &= not bad
            print(f"{'ok  ' if not bad else 'FAIL'} {path.name}: {len(loaded)} items")
    ok = not failed and render_ok and data_ok
    print("self-test passed" if ok else "self-test FAILED")
    return 0 if ok else 1


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--set",
        default="all",
        help="which set to score: dev, a blind set's name, or all (default: all)",
    )
    ap.add_argument(
        "--verbose", action="store_true", help="print every disagreement with its evidence"
    )
    ap.add_argument(
        "--self-test", action="store_true", help="test the metric code on fake pairs and exit"
    )
    ap.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"directory of the jsonl sets (default: {DEFAULT_DATA})",
    )
    ap.add_argument(
        "--batch-size", type=int, default=32, help="documents per Tracker.check call (default: 32)"
    )
    args = ap.parse_args(argv)

    if args.self_test:
        return self_test()
    if args.batch_size < 1:
        ap.error("--batch-size must be at least 1")

    names = set_names(args.data) if args.set == "all" else [args.set]
    items: list[Item] = []
    for name in names:
        paths = set_files(args.data, name)
        missing = next((path for path in paths if not path.exists()), None)
        if missing or not paths:
            sys.stderr.write(f"detection_quality: missing {missing or args.data / name}\n")
            return 2
        for path in paths:
            items += load_set(path, name)

    setup, seconds = run_detector(items, args.batch_size)
    print(f"tracker set-up {setup:.2f}s (SELFREF_HOME={os.environ['SELFREF_HOME']})")
    for name in names:
        subset = [it for it in items if it.set == name]
        share = seconds * len(subset) / len(items) if items else 0.0
        per_set = sum(it.seconds for it in subset) or share
        role = "development set" if name == "dev" else "blind set"
        report(f"{name} ({role})", subset, per_set)
        recorded = first_run(args.data, name)
        if recorded:
            print(f"\nfirst run of {name} (the only estimate for unseen text):\n{recorded}")
    if len(names) > 1:
        report("overall", items, seconds)
    if args.verbose:
        print_misses(items)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
