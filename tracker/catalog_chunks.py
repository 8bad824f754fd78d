"""The catalog as index chunks: one per incident summary, summary sentence and coverage
line, product line, look-alike line and background line, with ids by content.

A catalog line is the catalog's own words: its chunk has `source = "catalog"`, no `url`,
and the incident's sources as `references` (see `selfref.corpus`).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from selfref.catalog import Catalog
from selfref.index import ChunkRecord

CATALOG_SOURCE = "catalog"
NEUTRAL = "neutral"  # coverage about an agent but not its past behaviour (also a crawl tag)
LOOKALIKE = "lookalike"  # writing about other things the agent's names mean
BACKGROUND = "background"  # writing about AI in general, about no agent
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def catalog_chunks(catalog: Catalog) -> list[ChunkRecord]:
    """One chunk per incident summary, summary sentence and coverage line; ids by content."""
    chunks = []
    for profile in catalog:
        for incident in profile.incidents:
            meta: dict[str, Any] = {
                "source": CATALOG_SOURCE,
                "document_id": f"catalog:{incident.id}",
                "url": "",
                "references": list(incident.sources),
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
    """Ids by content and metadata, so a change to either re-indexes the chunk."""
    out = []
    stamp = json.dumps(meta, sort_keys=True)
    for text in dict.fromkeys(t.strip() for t in texts if t.strip()):
        digest = hashlib.sha256(f"{agent}|{text}|{stamp}".encode()).hexdigest()[:24]
        out.append(ChunkRecord(f"catalog:{digest}", text, meta))
    return out
