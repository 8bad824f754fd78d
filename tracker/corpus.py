"""Signal 4's store: the vector index of known coverage, seeded from the catalog.

At first use the catalog's incidents (title, summary, each summary sentence and each
coverage line) are indexed, so similarity to known incidents works before any crawl;
crawled pages join the same collection later.

Provenance stays honest: a catalog line is the catalog's own words, so its chunk has
`source = "catalog"`, no `url`, and the incident's sources as `references`; a crawled
chunk has `source = "crawl"` and the page's URL. Search results keep the two apart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from selfref.catalog import Catalog
from selfref.catalog_chunks import BACKGROUND, CATALOG_SOURCE, LOOKALIKE, NEUTRAL, catalog_chunks
from selfref.catalog_vectors import Progress, vectors_for
from selfref.detect import Nearest
from selfref.index import Hit, VectorIndex

log = logging.getLogger("selfref.corpus")

CRAWL_SOURCE = "crawl"  # chunks of crawled pages (their crawl source is `crawl_source`)
_NOT_PAST = (NEUTRAL, LOOKALIKE, BACKGROUND)
_CONTRAST = (NEUTRAL, LOOKALIKE)
CONTRAST_K = 4  # nearest product-news and look-alike chunks looked up apart


def seed_catalog(index: VectorIndex, catalog: Catalog, progress: Progress | None = None) -> int:
    """Index catalog chunks missing from the collection and drop stale ones; returns added.
    Their vectors come from the package where it ships them (`selfref.catalog_vectors`);
    the rest are embedded, reporting (done, total) to `progress`."""
    wanted = {c.id: c for c in catalog_chunks(catalog)}
    present = set(index.ids({"source": CATALOG_SOURCE}))
    missing = [c for cid, c in wanted.items() if cid not in present]
    stale = sorted(present - wanted.keys())
    if stale:
        index.delete(ids=stale)
    if missing:
        log.info("catalog index: %d catalog chunks to index (first use)", len(missing))
        index.upsert(missing, vectors_for(index.embedder, [c.text for c in missing], progress))
    return len(missing)


@dataclass(frozen=True, slots=True)
class CorpusNearest(Nearest):
    """`Nearest` with the provenance of the nearest coverage of the agent's past: a crawled
    page (`source` "crawl", `url` its URL) or a catalog line (`source` "catalog", no `url`,
    the incident's sources as `references`)."""

    document_id: str | None = None
    title: str | None = None
    category: str | None = None
    references: tuple[str, ...] = ()


class CorpusSimilarity:
    """Nearest known coverage of an agent's past, of its neutral coverage, of its names'
    other meanings, of any other agent's past and of AI in general, for a batch of texts."""

    def __init__(
        self,
        index: VectorIndex,
        *,
        k: int = 8,
        indexed: Callable[[Iterable[str]], set[str]] | None = None,
    ) -> None:
        self.index = index
        self.k = k
        self.indexed = indexed

    @property
    def embedder_id(self) -> str:
        return self.index.embedder.id

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]:
        """One `CorpusNearest` per text. With `indexed` (the crawled pages the crawl state
        holds as indexed, of some document ids), a crawled chunk of a page that is gone or
        no longer indexed is never the nearest coverage."""
        vectors = self.index.embedder.embed(list(texts))
        own = self.index.search_vectors(vectors, k=self.k, agent=agent)
        anyone = self.index.search_vectors(vectors, k=self.k)
        # the agent's product news and its names' other meanings, even when its past
        # coverage fills the k nearest: the rules weigh the text against them
        contrast = self.index.search_vectors(
            vectors, k=CONTRAST_K, agent=agent, where={"category": {"$in": list(_CONTRAST)}}
        )
        if self.indexed is not None:
            own, anyone, contrast = _alive([own, anyone, contrast], self.indexed)
        return [
            nearest_of(agent, sorted([*own_hits, *extra], key=lambda h: -h.similarity), all_hits)
            for own_hits, all_hits, extra in zip(own, anyone, contrast, strict=True)
        ]


def nearest_of(agent: str, own_hits: list[Hit], all_hits: list[Hit]) -> CorpusNearest:
    """The nearest coverage of each kind for one text, from its nearest chunks about the
    agent (`own_hits`) and about anyone (`all_hits`), best first."""
    past = [h for h in own_hits if h.metadata.get("category") not in _NOT_PAST]
    neutral = [h for h in own_hits if h.metadata.get("category") == NEUTRAL]
    lookalike = [h for h in own_hits if h.metadata.get("category") == LOOKALIKE]
    others = [
        h
        for h in all_hits
        if agent not in (h.metadata.get("agents") or [])
        and h.metadata.get("category") not in _NOT_PAST
    ]
    best = past[0] if past else None
    other = others[0] if others else None
    incidents = best.metadata.get("incidents") if best else None
    other_agents = other.metadata.get("agents") if other else None
    background = [h for h in all_hits if h.metadata.get("category") == BACKGROUND]
    meta = best.metadata if best else {}
    return CorpusNearest(
        own=best.similarity if best else 0.0,
        other=other.similarity if other else 0.0,
        neutral=neutral[0].similarity if neutral else 0.0,
        lookalike=lookalike[0].similarity if lookalike else 0.0,
        background=background[0].similarity if background else 0.0,
        url=(meta.get("url") or None) if meta.get("source") != CATALOG_SOURCE else None,
        incident=incidents[0] if incidents else None,
        other_agent=other_agents[0] if other_agents else None,
        source=meta.get("source"),
        document_id=meta.get("document_id"),
        title=meta.get("title"),
        category=meta.get("category"),
        references=tuple(meta.get("references") or ()),
    )


def search(
    index: VectorIndex,
    text: str,
    *,
    agent: str | None = None,
    k: int = 5,
    include_catalog: bool = False,
    indexed: Callable[[Iterable[str]], set[str]] | None = None,
) -> list[Hit]:
    """One hit per document (its best chunk): the `k` crawled pages nearest to `text`, then,
    with `include_catalog`, the `k` nearest catalog documents (an incident's lines, an
    agent's product or lookalike lines). Crawled pages no longer indexed are left out."""
    vector = index.embedder.embed([text])
    out = _documents(index, vector, {"source": CRAWL_SOURCE}, agent, k, indexed)
    if include_catalog:
        out += _documents(index, vector, {"source": CATALOG_SOURCE}, agent, k, None)
    return out


def _documents(
    index: VectorIndex,
    vector: Any,
    where: dict[str, Any],
    agent: str | None,
    k: int,
    indexed: Callable[[Iterable[str]], set[str]] | None,
) -> list[Hit]:
    """The best chunk of each of the `k` nearest documents matching `where`."""
    hits = index.search_vectors(vector, k=min(300, k * 12), agent=agent, where=where)[0]
    if indexed is not None:
        (hits,) = _alive([[hits]], indexed)[0]
    best: dict[str, Hit] = {}
    for hit in hits:
        best.setdefault(str(hit.metadata.get("document_id") or hit.id), hit)
    return list(best.values())[:k]


def _alive(
    batches: list[list[list[Hit]]], indexed: Callable[[Iterable[str]], set[str]]
) -> list[list[list[Hit]]]:
    """The hits without crawled chunks of pages the crawl state no longer holds as indexed."""
    crawled = {
        str(h.metadata.get("document_id"))
        for batch in batches
        for hits in batch
        for h in hits
        if h.metadata.get("source") == CRAWL_SOURCE
    }
    live = indexed(crawled) if crawled else set()
    return [
        [
            [
                h
                for h in hits
                if h.metadata.get("source") != CRAWL_SOURCE
                or str(h.metadata.get("document_id")) in live
            ]
            for hits in batch
        ]
        for batch in batches
    ]
