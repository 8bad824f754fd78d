"""The vector index: one Chroma collection (cosine space) of chunks of known coverage.

Embedded (`PersistentClient` on a directory) by default, a Chroma server by URL at
scale. The collection records the embedder's id; opening it with another embedder is
refused, since vectors from two models cannot be compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import numpy as np

from selfref.index.embedder import Embedder

if TYPE_CHECKING:
    from selfref.index.embedder import Vectors

Metadata = Mapping[str, str | int | float | bool | list[str]]


class VectorIndexError(RuntimeError):
    """The index cannot be opened, written or searched; the message says why."""


class EmbedderMismatchError(VectorIndexError):
    """The collection was built with another embedder."""


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk to store: stable id, text and flat metadata (lists of strings allowed)."""

    id: str
    text: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result; `similarity` is the cosine similarity (1 is identical)."""

    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float


class VectorIndex:
    """Chunks in a Chroma collection, embedded by the given embedder."""

    def __init__(self, collection: Any, embedder: Embedder) -> None:
        self._collection = collection
        self.embedder = embedder

    @classmethod
    def open(
        cls,
        embedder: Embedder,
        *,
        path: str | Path | None = None,
        url: str | None = None,
        collection: str = "selfref",
    ) -> VectorIndex:
        """Open (creating if needed) the collection on disk at `path` or on the server at `url`."""
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                parts = urlsplit(url)
                client: Any = chromadb.HttpClient(
                    host=parts.hostname or "localhost",
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=settings,
                )
            elif path is not None:
                Path(path).mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=settings)
            else:
                client = chromadb.EphemeralClient(settings=settings)
            col = client.get_or_create_collection(
                collection,
                metadata={"hnsw:space": "cosine", "embedder": embedder.id},
                embedding_function=None,
            )
        except Exception as exc:
            where = url or path or "memory"
            raise VectorIndexError(
                f"cannot open Chroma collection {collection!r} at {where}: {exc}"
            ) from exc
        stored = (col.metadata or {}).get("embedder")
        if stored != embedder.id:
            raise EmbedderMismatchError(
                f"collection {collection!r} was built with embedder {stored!r}, not "
                f"{embedder.id!r}: use the same embedder or another collection name"
            )
        return cls(col, embedder)

    def count(self) -> int:
        return int(self._collection.count())

    def upsert(self, chunks: Sequence[ChunkRecord], embeddings: Vectors | None = None) -> None:
        """Embed (unless given) and upsert chunks; same id replaces the old chunk."""
        if not chunks:
            return
        vectors = (
            embeddings if embeddings is not None else self.embedder.embed([c.text for c in chunks])
        )
        try:
            # Chroma's upsert merges metadata; delete first so dropped keys do not linger.
            self._collection.delete(ids=[c.id for c in chunks])
            self._collection.add(
                ids=[c.id for c in chunks],
                documents=[c.text for c in chunks],
                embeddings=np.asarray(vectors, dtype=np.float32),
                metadatas=[_clean_metadata(c.metadata) for c in chunks],
            )
        except Exception as exc:
            raise VectorIndexError(
                f"cannot write {len(chunks)} chunks to the index: {exc}"
            ) from exc

    def delete(
        self, *, ids: Sequence[str] | None = None, where: dict[str, Any] | None = None
    ) -> None:
        """Delete chunks by id or by metadata filter."""
        try:
            self._collection.delete(ids=list(ids) if ids is not None else None, where=where)
        except Exception as exc:
            raise VectorIndexError(f"cannot delete from the index: {exc}") from exc

    def ids(self, where: dict[str, Any]) -> list[str]:
        """Ids of the chunks matching a metadata filter."""
        return list(self._collection.get(where=where, include=[])["ids"])

    def texts(self, ids: Sequence[str]) -> dict[str, str]:
        """The stored text of each of these chunks that exists, by id."""
        if not ids:
            return {}
        try:
            found = self._collection.get(ids=list(ids), include=["documents"])
        except Exception as exc:
            raise VectorIndexError(f"cannot read from the index: {exc}") from exc
        return {i: d or "" for i, d in zip(found["ids"], found["documents"] or [], strict=True)}

    def search(self, text: str, *, k: int = 5, agent: str | None = None) -> list[Hit]:
        """The `k` chunks nearest to `text`, only those about `agent` when given."""
        return self.search_vectors(self.embedder.embed([text]), k=k, agent=agent)[0]

    def search_vectors(
        self,
        vectors: Vectors,
        *,
        k: int = 5,
        agent: str | None = None,
        where: dict[str, Any] | None = None,
    ) -> list[list[Hit]]:
        """Nearest chunks for each row of `vectors`, in one round trip; only those about
        `agent` and matching the metadata filter `where` when given."""
        if len(vectors) == 0:
            return []
        clauses = [{"agents": {"$contains": agent}}] if agent else []
        clauses += [{key: value} for key, value in (where or {}).items()]
        where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        try:
            result = self._collection.query(
                query_embeddings=np.asarray(vectors, dtype=np.float32),
                n_results=k,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as exc:
            raise VectorIndexError(f"cannot search the index: {exc}") from exc
        out: list[list[Hit]] = []
        for ids, docs, metas, dists in zip(
            result["ids"],
            result["documents"] or [],
            result["metadatas"] or [],
            result["distances"] or [],
            strict=True,
        ):
            out.append(
                [
                    Hit(id=i, text=d or "", metadata=dict(m or {}), similarity=1.0 - float(dist))
                    for i, d, m, dist in zip(ids, docs, metas, dists, strict=True)
                ]
            )
        return out


def _clean_metadata(metadata: Metadata) -> dict[str, Any]:
    """Chroma refuses empty lists and None values: drop them."""
    return {k: v for k, v in metadata.items() if v is not None and v != []}
