"""`GuardedRetriever` against the bare retriever it wraps, in one process.

A Chroma store (langchain-chroma, the default offline MiniLM embedder) holds 400 short
documents about nothing any agent did (markets, weather, recipes, trains). The same 200
queries go through the bare retriever (k=4) and through `GuardedRetriever(action=...)`
over it, each query timed alone, interleaved so machine load hits both alike. The guarded
side checks the four documents for `grok` and records the retrieval in a fresh audit
database (SQLite, WAL) in a throwaway home. Prints both medians, the ratio and what the
guard added, and splits that into `Tracker.check` with `record=False` (the check alone)
and with `record=True` (check and audit write) on the same documents.

Run: python benchmarks/guarded_retriever.py [--queries N] [--action annotate]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

TOPICS = [
    ("the harbour market", "sells smoked fish, apples and dark rye bread every Saturday"),
    ("the night train", "leaves the central station at ten and reaches the coast by dawn"),
    ("the mountain forecast", "promises light snow above 1,500 metres and clear valleys"),
    ("the bakery on Elm Street", "bakes sourdough before sunrise and sells out by nine"),
    ("the city library", "extends its opening hours during the exam weeks in June"),
    ("the cycling club", "rides forty kilometres along the river every Sunday morning"),
    ("the allotment society", "shares seeds for beans, squash and winter kale each March"),
    ("the ferry service", "adds a late crossing on Fridays through the summer months"),
]
PLACES = ["Lisbon", "Bergen", "Leeds", "Graz", "Porto", "Turku", "Lyon", "Ghent", "Cork", "Bern"]
ASKS = [
    "when does {t} open in {p}?",
    "what does {t} in {p} offer?",
    "is {t} in {p} busy at weekends?",
    "how do I get to {t} in {p}?",
]


def corpus() -> list[str]:
    """400 distinct short texts that concern no agent."""
    texts = []
    for i in range(400):
        topic, detail = TOPICS[i % len(TOPICS)]
        place = PLACES[(i // len(TOPICS)) % len(PLACES)]
        texts.append(f"In {place}, {topic} {detail} (notice {i}, posted by the town office).")
    return texts


def queries(n: int) -> list[str]:
    return [
        ASKS[i % len(ASKS)].format(
            t=TOPICS[(i // 3) % len(TOPICS)][0], p=PLACES[(i // 7) % len(PLACES)]
        )
        for i in range(n)
    ]


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--action", default="annotate", choices=["log", "annotate", "filter"])
    parser.add_argument(
        "--graph-optimisation",
        default="none",
        choices=["none", "basic"],
        help="MiniLM option (default: none, the default embedder); basic embeds short "
        "queries several times faster, so the guard's share shows more",
    )
    args = parser.parse_args()

    os.environ["SELFREF_HOME"] = tempfile.mkdtemp(prefix="selfref-bench-guarded-")
    os.environ.pop("SELFREF_CONFIG", None)
    from chromadb.config import Settings
    from langchain_chroma import Chroma

    from selfref import Tracker
    from selfref.index import MiniLMEmbedder
    from selfref.langchain import GuardedRetriever, SelfrefEmbeddings

    embedder = MiniLMEmbedder(graph_optimisation=args.graph_optimisation)
    tracker = Tracker.from_config(embedder=embedder)
    tracker.index.count()  # open and seed the index now, not inside the first timed query
    store = Chroma(
        collection_name="bench-guarded",
        embedding_function=SelfrefEmbeddings(tracker.embedder),
        collection_metadata={"hnsw:space": "cosine"},
        client_settings=Settings(anonymized_telemetry=False),
    )
    store.add_texts(corpus())
    bare = store.as_retriever(search_kwargs={"k": 4})
    guarded = GuardedRetriever(retriever=bare, tracker=tracker, agent="grok", action=args.action)

    qs = queries(args.queries)
    for q in qs[:10]:  # warm up both paths
        bare.invoke(q)
        guarded.invoke(q)
    bare_ms, guarded_ms, check_ms, recorded_ms = [], [], [], []
    for q in qs:
        docs = bare.invoke(q)
        bare_ms.append(timed(lambda q=q: bare.invoke(q)))
        guarded_ms.append(timed(lambda q=q: guarded.invoke(q)))
        for record, times in ((False, check_ms), (True, recorded_ms)):
            times.append(
                timed(lambda d=docs, q=q, r=record: tracker.check("grok", d, query=q, record=r))
            )
    levels = {r.level.label for r in tracker.audit(limit=None)}
    b, g, c, r = (statistics.median(x) for x in (bare_ms, guarded_ms, check_ms, recorded_ms))
    print(
        f"{args.queries} queries, k=4, action={args.action}, embedder {embedder.id} "
        f"(graph_optimisation={args.graph_optimisation})"
    )
    print(f"  bare Chroma retriever     median {b:7.2f} ms")
    print(f"  GuardedRetriever          median {g:7.2f} ms  ratio {g / b:.2f}x  (+{g - b:.2f} ms)")
    print(f"  Tracker.check alone       median {c:7.2f} ms  (record=False)")
    print(f"  Tracker.check + audit     median {r:7.2f} ms  (record=True)")
    print(f"  levels recorded: {sorted(levels)}")
    tracker.close()


if __name__ == "__main__":
    main()
