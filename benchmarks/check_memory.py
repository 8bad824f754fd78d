"""Peak memory of `selfref check` on a large JSON Lines input on stdin (target <= 300 MB
for 200 MB), against the same command on a 2 MB input measured in the same run.

`selfref check` reads and checks the input in batches (`--batch-size`, one audit event
each), so its peak should barely depend on the input's size. Documents mention no agent
(the cheap path of detection), so the run measures reading, checking and recording.

Run: python benchmarks/check_memory.py [--mb 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

WORDS = [
    "harbour", "market", "autumn", "stall", "apple", "pear", "bread", "band", "fountain",
    "quay", "parking", "council", "ring", "road", "ferry", "timetable", "weather", "drizzle",
    "library", "opening", "hours", "bakery", "museum",
]  # fmt: skip


def write_input(path: Path, megabytes: float, rng: random.Random) -> int:
    """JSON Lines of ~2 KB documents up to `megabytes`; returns the number of documents."""
    target = int(megabytes * 1_000_000)
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            text = " ".join(rng.choice(WORDS) for _ in range(300))
            line = json.dumps({"id": f"d{count}", "text": text}) + "\n"
            out.write(line)
            written += len(line)
            count += 1
    return count


def peak_mb(home: Path, data: Path) -> tuple[float, float]:
    """(peak resident MB, seconds) of one `selfref check` reading `data` on stdin."""
    env = {**os.environ, "SELFREF_HOME": str(home)}
    command = [
        sys.executable, "-c", "from selfref.cli import main; main()",
        "check", "--agent", "grok", "--format", "jsonl", "--max-documents", "100000000",
    ]  # fmt: skip
    started = time.monotonic()
    with data.open("rb") as stdin:
        proc = subprocess.Popen(command, env=env, stdin=stdin, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"selfref check exited {proc.returncode}")
    return usage.ru_maxrss / 1024, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the large input")
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        small, large = root / "small.jsonl", root / "large.jsonl"
        n_small = write_input(small, 2, rng)
        n_large = write_input(large, args.mb, rng)
        peak_mb(home, small)  # first run seeds the catalog into the index: not measured
        base, base_s = peak_mb(home, small)
        peak, peak_s = peak_mb(home, large)
    print(f"baseline: 2 MB, {n_small} documents: peak {base:.0f} MB, {base_s:.1f} s")
    print(
        f"large: {args.mb:g} MB, {n_large} documents: peak {peak:.0f} MB, {peak_s:.1f} s "
        f"({n_large / peak_s:.0f} documents/s)"
    )
    print(f"peak ratio large / baseline: {peak / base:.2f}; target <= 300 MB: "
          f"{'met' if peak <= 300 else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
