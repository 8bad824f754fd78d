"""A fresh home's first `selfref check` (target <= 5 s), a second one in the same home,
and, in this process, seeding the catalog from the package's shipped vectors against
embedding every line (what every fresh home did before they were shipped).

Run: python benchmarks/first_use.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

DOC = json.dumps({"id": "r1", "text": "Grok called itself MechaHitler in July 2025."}) + "\n"


def first_checks(home: Path) -> tuple[float, float]:
    env = {**os.environ, "SELFREF_HOME": str(home)}
    argv = [sys.executable, "-c", "from selfref.cli import main; main()", "check",
            "--agent", "grok", "--format", "jsonl"]  # fmt: skip
    times = []
    for _ in range(2):
        start = time.perf_counter()
        subprocess.run(argv, input=DOC, text=True, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return times[0], times[1]


def seeding(tmp: Path) -> tuple[float, float, int]:
    from selfref.catalog import load_builtin
    from selfref.catalog_chunks import catalog_chunks
    from selfref.corpus import seed_catalog
    from selfref.index import MiniLMEmbedder, VectorIndex

    embedder = MiniLMEmbedder()
    catalog = load_builtin()
    start = time.perf_counter()
    added = seed_catalog(VectorIndex.open(embedder, path=tmp / "shipped"), catalog)
    shipped = time.perf_counter() - start
    start = time.perf_counter()
    VectorIndex.open(embedder, path=tmp / "embedded").upsert(catalog_chunks(catalog))
    embedded = time.perf_counter() - start
    return shipped, embedded, added


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first, second = first_checks(Path(tmp) / "home")
        print(f"first selfref check in a fresh home   {first:6.2f} s")
        print(f"second selfref check, same home       {second:6.2f} s")
        shipped, embedded, added = seeding(Path(tmp))
        print(f"seed {added} catalog chunks from the shipped vectors  {shipped:6.2f} s")
        print(f"embed and index them all (before)              {embedded:6.2f} s")
        print(f"ratio shipped / embedded                       {shipped / embedded:6.3f}")


if __name__ == "__main__":
    main()
