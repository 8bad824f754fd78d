"""Cost and size of the known-coverage lookup (URL + passage fingerprints), on a synthetic corpus.

1. Builds N synthetic crawled pages (default 10,000; ~700 words of English-like text each,
   tagged for the built-in agents in turn) through the crawl's own write path
   (`CrawlStore.save_page` with the page's fingerprints and passage tags), in SQLite.
2. Prints the database size of the fingerprint tables (and of the whole database) for N
   pages, and for 100,000 pages extrapolated linearly from N when N is smaller.
3. Prints the URL + passage lookup cost per document (`KnownCoverage.lookup(...,
   semantic=False)` on batches of 10 documents of ~1,500 characters: excerpts of corpus
   pages, unrelated text, half of them with a URL) and its ratio to one bare Chroma k=10
   query (precomputed query vector) in the same process, on the catalog-seeded collection
   (what `check_latency.py` compares with) and on a collection of N x 3 chunks.

Run: python benchmarks/known_coverage.py [--pages N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)
from check_latency import PLAIN
from timing import median_ms

FINGERPRINT_TABLES = ("known_fingerprints", "known_pages", "known_passages", "known_urls")


def page_text(
    rng: random.Random, vocabulary: list[str], weights: list[float], stop: list[str]
) -> str:
    """About 700 English-like words: 45% stopwords, content words Zipf-distributed over the
    vocabulary (the commonest near 0.7% of content words, as in news prose)."""
    paragraphs = []
    for _ in range(6):
        n = rng.randint(90, 140)
        content = iter(rng.choices(vocabulary, weights, k=n))
        chosen = [rng.choice(stop) if rng.random() < 0.45 else next(content) for _ in range(n)]
        paragraphs.append(" ".join(chosen).capitalize() + ".")
    return "\n\n".join(paragraphs)


def table_sizes(path: Path) -> dict[str, int]:
    """Bytes per table and index (SQLite dbstat), after a checkpoint."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        rows = con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:  # dbstat not compiled in
        rows = []
    con.close()
    return {str(name): int(size) for name, size in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="selfref-bench-known-"))
    os.environ["SELFREF_HOME"] = str(home)

    import numpy as np

    from selfref import Tracker
    from selfref.crawl import _spans
    from selfref.crawl_state import CrawlPage, CrawlStore, KnownRecord, PageStatus, PassageTags
    from selfref.documents import CheckDocument
    from selfref.fingerprint import STOPWORDS
    from selfref.index import chunk_id, split_text

    tracker = Tracker.from_config()
    agents = tracker.catalog.ids
    fingerprinter = tracker.known.fingerprinter
    store = CrawlStore(tracker.audit_log)
    store.ensure_schema()
    rng = random.Random(7)
    stop = sorted(STOPWORDS)
    vocabulary = [f"w{i:05d}x" for i in range(30_000)]
    weights = [1 / (rank + 20) for rank in range(len(vocabulary))]

    started = time.perf_counter()
    texts: dict[int, str] = {}
    batch = 250
    for first in range(0, args.pages, batch):
        with store.session() as s:
            for n in range(first, min(args.pages, first + batch)):
                text = page_text(rng, vocabulary, weights, stop)
                if n % 97 == 0:
                    texts[n] = text
                pieces = split_text(text)
                spans = _spans(text, pieces)
                hashes, offsets = fingerprinter.page(text)
                starts = np.array([lo for lo, _ in spans])
                owners = np.searchsorted(starts, offsets, side="right") - 1
                agent = agents[n % len(agents)]
                url = f"https://news{n % 50}.example/articles/{n}"
                tags = [
                    PassageTags(i, agent, "incident-coverage", (f"{agent}-incident",), ())
                    for i in range(len(pieces))
                ]
                page = CrawlPage(
                    url=url, canonical_url=url, source="synthetic", status=PageStatus.INDEXED,
                    agents=agent, category="incident-coverage", chunk_count=len(pieces),
                    last_fetched=tracker.clock(),
                )  # fmt: skip
                known = KnownRecord(passages=tags, hashes=hashes, passage_of=owners, urls=[])
                store.save_page(s, page, known)
    build_s = time.perf_counter() - started

    db = Path(tracker.config.database_url.removeprefix("sqlite:///"))
    sizes = table_sizes(db)
    fingerprint_bytes = sum(
        size
        for name, size in sizes.items()
        if any(name == t or name.startswith(f"sqlite_autoindex_{t}") or t in name
               for t in FINGERPRINT_TABLES)
    )  # fmt: skip
    total = db.stat().st_size
    scale = 100_000 / args.pages

    # documents: excerpts of corpus pages, plain text, some with URLs of corpus pages
    sample = sorted(texts)
    docs: list[CheckDocument] = []
    for i in range(10):
        if i % 2 == 0:
            n = sample[(i * 7) % len(sample)]
            text = texts[n]
            start = rng.randint(0, max(0, len(text) - 1600))
            excerpt = text[start : start + 1500]
            url = f"https://news{n % 50}.example/articles/{n}" if i % 4 == 0 else None
            docs.append(CheckDocument(text=excerpt, url=url))
        else:
            docs.append(CheckDocument(text=(f"Item {i}. " + PLAIN * 6)[:1500], url=None))
    found = {a: tracker.known.lookup(a, docs, semantic=False) for a in agents}
    hits = sum(m is not None for ms in found.values() for m in ms)

    def lookup_all_agents() -> None:
        for a in agents:
            tracker.known.lookup(a, docs, semantic=False)

    per_batch = median_ms(lookup_all_agents, args.repeat, warmup=2) / len(agents)
    per_doc = per_batch / len(docs)

    index = tracker.index  # catalog-seeded, as in check_latency.py
    vector = index.embedder.embed(["what is your surname?"])
    chroma_catalog = median_ms(lambda: index.search_vectors(vector, k=10), args.repeat, warmup=2)

    import chromadb

    client = chromadb.PersistentClient(path=str(home / "chroma-synthetic"))
    col = client.get_or_create_collection(
        "synthetic", metadata={"hnsw:space": "cosine"}, embedding_function=None
    )
    vrng = np.random.default_rng(0)
    chunks = args.pages * 3
    for first in range(0, chunks, 5000):
        count = min(5000, chunks - first)
        vectors = vrng.normal(size=(count, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        col.add(
            ids=[chunk_id(f"p{j // 3}", j % 3) for j in range(first, first + count)],
            embeddings=vectors,
            metadatas=[{"agents": [agents[j % len(agents)]], "source": "crawl"} for j in
                       range(first, first + count)],
            documents=["x" * 1200] * count,
        )  # fmt: skip
    query = np.asarray(vector, dtype=np.float32)
    chroma_big = median_ms(
        lambda: col.query(
            query_embeddings=query, n_results=10, include=["documents", "metadatas", "distances"]
        ),
        args.repeat,
        warmup=2,
    )

    mb = 1024 * 1024
    print(f"synthetic corpus: {args.pages} pages, built in {build_s:.0f} s; lookup hits {hits}")
    print(f"fingerprint tables for {args.pages} pages: {fingerprint_bytes / mb:8.1f} MB "
          f"(database {total / mb:.1f} MB)")  # fmt: skip
    for name in sorted(sizes, key=lambda n: -sizes[n])[:8]:
        print(f"    {name:40s} {sizes[name] / mb:8.1f} MB")
    label = "measured" if args.pages >= 100_000 else f"extrapolated x{scale:g} from {args.pages}"
    print(
        f"fingerprint tables for 100,000 pages:  {fingerprint_bytes * scale / mb:8.1f} MB "
        f"({label}; target <= 200 MB)"
    )
    print(f"URL + passage lookup, per document:    {per_doc:8.3f} ms (batches of {len(docs)})")
    print(
        f"bare Chroma k=10 query, catalog index: {chroma_catalog:8.3f} ms  "
        f"ratio {per_doc / chroma_catalog:.3f} (target <= 0.2)"
    )
    print(
        f"bare Chroma k=10 query, {chunks} chunks: {chroma_big:8.3f} ms  "
        f"ratio {per_doc / chroma_big:.3f}"
    )
    tracker.close()


if __name__ == "__main__":
    main()
