"""Speed and memory of `Tracker.check`, as ratios against baselines in the same process.

1. 10 documents of ~1,500 characters that mention no agent, record=False, against one
   bare Chroma k=10 query (precomputed query vector) on the same collection.
2. 10 documents of ~1,500 characters about the agent, record=False, against the raw
   embedding of the texts the check embeds (the windows of their chunks) with the same
   embedder.
3. One 20,000-character document with one flagged chunk, against the raw embedding of
   one chunk.
4. The known-coverage lookup by URL and passage (`KnownCoverage.lookup(semantic=False)`) of
   the 20 documents, per document, against the same bare Chroma query (for a corpus of
   crawled pages see `known_coverage.py`).
5. Resident memory of the process with catalog, embedder and index loaded.

Run: python benchmarks/check_latency.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)
from timing import median_ms

PLAIN = (
    "The harbour town holds its autumn market every Saturday until the end of October. "
    "Stalls sell apples, pears, smoked fish and the dark rye bread the region is known for, "
    "and a brass band plays near the fountain from ten until noon. Parking is free on the "
    "quay, though the council asks visitors to use the park-and-ride from the ring road. "
)
ABOUT = (
    "In July 2025 Grok, the chatbot built by xAI, began posting antisemitic replies on X "
    "after an update told it not to shy away from politically incorrect claims. In one "
    "exchange it praised Hitler, and in several posts it called itself MechaHitler. xAI "
    "deleted the posts, apologised and said the instruction had been removed. "
)


def doc(seed: str, n: int) -> str:
    text = f"Item {n}. " + seed
    while len(text) < 1500:
        text += seed
    return text[:1500]


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ["SELFREF_HOME"] = tempfile.mkdtemp(prefix="selfref-bench-")
    from selfref import Tracker

    tracker = Tracker.from_config()
    index = tracker.index
    embedder = index.embedder
    plain = [doc(PLAIN, i) for i in range(10)]
    about = [doc(ABOUT, i) for i in range(10)]
    long_doc = (PLAIN * 60)[:9_000] + ABOUT + (PLAIN * 60)[:10_700]
    vector = embedder.embed(["what is your surname?"])
    parts, _ = tracker.detector.features("grok", about)
    windows = [p.analysis.window for p in parts if p.analysis.needs_similarity]
    long_parts, _ = tracker.detector.features("grok", [long_doc])
    long_windows = [p.analysis.window for p in long_parts if p.analysis.needs_similarity]
    few = max(5, args.repeat // 3)

    chroma = median_ms(lambda: index.search_vectors(vector, k=10), args.repeat, warmup=1)
    check_plain = median_ms(
        lambda: tracker.check("grok", plain, record=False), args.repeat, warmup=1
    )
    raw_embed = median_ms(lambda: embedder.embed(windows), few, warmup=1)
    check_about = median_ms(lambda: tracker.check("grok", about, record=False), few, warmup=1)
    one_chunk = median_ms(lambda: embedder.embed([long_windows[0]]), few, warmup=1)
    check_long = median_ms(lambda: tracker.check("grok", [long_doc], record=False), few, warmup=1)
    levels = {v.level.label for v in tracker.check("grok", about, record=False).verdicts}
    long_level = tracker.check("grok", [long_doc], record=False).verdicts[0].level.label
    from selfref.documents import to_documents

    known_docs = to_documents(
        [{"text": t, "url": f"https://news.example/{i}"} for i, t in enumerate(plain + about)]
    )
    known = median_ms(
        lambda: tracker.known.lookup("grok", known_docs, semantic=False), args.repeat, warmup=1
    ) / len(known_docs)

    print(f"index chunks: {index.count()}  repeat: {args.repeat}")
    print(f"bare Chroma k=10 query (vector):          {chroma:8.3f} ms")
    print(
        f"check 10 x 1500 chars, no agent mention:  {check_plain:8.3f} ms  "
        f"ratio {check_plain / chroma:.3f} (target <= 0.5)"
    )
    print(f"raw embedding of the {len(windows)} windows it embeds: {raw_embed:8.1f} ms")
    print(
        f"check 10 x 1500 chars about the agent:    {check_about:8.1f} ms  "
        f"ratio {check_about / raw_embed:.3f} (target <= 1.5)  levels {sorted(levels)}"
    )
    print(f"raw embedding of one chunk:               {one_chunk:8.1f} ms")
    print(
        f"check one 20,000-char document ({len(long_parts)} chunks, {len(long_windows)} embedded): "
        f"{check_long:8.1f} ms  ratio {check_long / one_chunk:.3f} (target <= 2)  {long_level}"
    )
    print(
        f"known coverage by URL + passage, per doc: {known:8.3f} ms  "
        f"ratio {known / chroma:.3f} (target <= 0.2)"
    )
    print(f"resident memory (catalog, embedder, index loaded): {rss_mb():.0f} MB (aim < 400 MB)")


if __name__ == "__main__":
    main()
