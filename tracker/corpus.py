"""Signal 4's store: the vector index of known coverage, seeded from the catalog.

At first use the catalog's incidents (title, summary, each summary sentence and each
coverage line) are indexed, so similarity to known incidents works before any crawl;
crawled pages join the same collection later.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from typing import Any

from index import ChunkRecord, VectorIndex
from tracker.catalog import Catalog
from tracker.detect import Nearest

log = logging.getLogger("selfref.corpus")

CATALOG_SOURCE = "catalog"
NEUTRAL = "neutral"  # coverage about an agent but not its past behaviour (also a crawl tag)
LOOKALIKE = "lookalike"  # writing about other things the agent's names mean
BACKGROUND = "background"  # writing about AI in general, about no agent
_NOT_PAST = (NEUTRAL, LOOKALIKE, BACKGROUND)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def catalog_chunks(catalog: Catalog) -> list[ChunkRecord]:
    """One chunk per incident summary, summary sentence and coverage line; ids by content."""
    chunks = []
    for profile in catalog:
        for incident in profile.incidents:
            meta: dict[str, Any] = {
                "source": CATALOG_SOURCE,
                "document_id": f"catalog:{incident.id}",
                "url": incident.sources[0] if incident.sources else "",
                "title": incident.title,
                "agents": [profile.id],
                "incidents": [incident.id],
                "personas": list(incident.personas),
                "category": "incident",
                "published": incident.date.isoformat(),
            }
            texts = [f"{incident.title}. {incident.summary}"]
            texts += [s for s in _SENTENCE.split(incident.summary) if len(s) > 30]
            texts += incident.coverage
            chunks += _chunks(profile.id, texts, meta)
        neutral: dict[str, Any] = {
            "source": CATALOG_SOURCE,
            "document_id": f"catalog:{profile.id}:product",
            "url": "",
            "title": f"{profile.name}: product coverage",
            "agents": [profile.id],
            "category": NEUTRAL,
        }
        chunks += _chunks(profile.id, profile.product, neutral)
        lookalike = {
            **neutral,
            "document_id": f"catalog:{profile.id}:lookalike",
            "title": f"not {profile.name}: other meanings of its names",
            "category": LOOKALIKE,
        }
        chunks += _chunks(profile.id, profile.lookalikes, lookalike)
    background = {
        "source": CATALOG_SOURCE,
        "document_id": "catalog:background",
        "url": "",
        "title": "AI in general (about no agent)",
        "category": BACKGROUND,
    }
    chunks += _chunks("", catalog.background, background)
    return chunks


def _chunks(agent: str, texts: list[str], meta: dict[str, Any]) -> list[ChunkRecord]:
    out = []
    for text in dict.fromkeys(t.strip() for t in texts if t.strip()):
        digest = hashlib.sha256(f"{agent}|{text}".encode()).hexdigest()[:24]
        out.append(ChunkRecord(f"catalog:{digest}", text, meta))
    return out


def seed_catalog(index: VectorIndex, catalog: Catalog) -> int:
    """Index catalog chunks missing from the collection and drop stale ones; returns added."""
    wanted = {c.id: c for c in catalog_chunks(catalog)}
    present = set(index.ids({"source": CATALOG_SOURCE}))
    missing = [c for cid, c in wanted.items() if cid not in present]
    stale = sorted(present - wanted.keys())
    if missing:
        log.info("indexing %d catalog chunks (first use; takes a few seconds)", len(missing))
    if stale:
        index.delete(ids=stale)
    index.upsert(missing)
    return len(missing)


class CorpusSimilarity:
    """Nearest known coverage of an agent's past, of its neutral coverage, of its names'
    other meanings, of any other agent's past and of AI in general, for a batch of texts."""

    def __init__(self, index: VectorIndex, *, k: int = 8) -> None:
        self.index = index
        self.k = k

    @property
    def embedder_id(self) -> str:
        return self.index.embedder.id

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]:
        vectors = self.index.embedder.embed(list(texts))
        own = self.index.search_vectors(vectors, k=self.k, agent=agent)
        anyone = self.index.search_vectors(vectors, k=self.k)
        out = []
        for own_hits, all_hits in zip(own, anyone, strict=True):
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
            out.append(
                Nearest(
                    own=best.similarity if best else 0.0,
                    other=other.similarity if other else 0.0,
                    neutral=neutral[0].similarity if neutral else 0.0,
                    lookalike=lookalike[0].similarity if lookalike else 0.0,
                    background=background[0].similarity if background else 0.0,
                    url=(best.metadata.get("url") or None) if best else None,
                    source=best.metadata.get("source") if best else None,
                    incident=incidents[0] if incidents else None,
                    other_agent=other_agents[0] if other_agents else None,
                )
            )
        return out
