"""The crawl's index writer: chunk writes and deletes batched onto one background thread.

Apart from the crawl's orchestration (`selfref.crawl`), which hands it each page's chunks
and learns from its callbacks when a batch is confirmed or failed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from selfref.errors import IndexUnavailableError
from selfref.index import ChunkRecord, VectorIndex, VectorIndexError

__all__ = ["FLUSH_CHUNKS", "IndexWriter"]

FLUSH_CHUNKS = 256


class IndexWriter:
    """Index writes on one background thread, every FLUSH_CHUNKS chunks.

    A page indexed afresh has its new chunks written before its stale ones are deleted (by
    id), so it is never missing from the index; a dropped page's chunks are deleted by
    `document_id`. Once a batch is written its pages are handed to `on_written` (pages
    indexed, pages deleted); a batch whose writes fail is handed to `on_failure`.
    """

    def __init__(
        self,
        index: VectorIndex,
        on_written: Callable[[list[str], list[str]], None],
        on_failure: Callable[[list[str], str], None],
    ) -> None:
        self._index = index
        self._on_written = on_written
        self._on_failure = on_failure
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="selfref-index")
        self._chunks: list[ChunkRecord] = []
        self._deletes: list[str] = []
        self._replaced: list[str] = []
        self._added: list[str] = []
        self._inflight: tuple[Future[None], list[str], list[str]] | None = None

    def add(self, page: str, chunks: list[ChunkRecord], replaces: bool) -> None:
        """Queue a page's chunks; `replaces` also removes its old chunks not among them."""
        self._chunks += chunks
        if replaces:
            self._replaced.append(page)
        self._added.append(page)
        if len(self._chunks) >= FLUSH_CHUNKS:
            self.flush()

    def delete(self, page: str) -> None:
        """Queue every chunk of a page for deletion."""
        self._deletes.append(page)

    def flush(self) -> None:
        """Hand what is queued to the writer thread (waiting for the previous batch)."""
        self._wait()
        if not (self._chunks or self._deletes):
            return
        work = (self._chunks, self._deletes, self._replaced)
        added, deleted = self._added, self._deletes
        self._chunks, self._deletes, self._replaced, self._added = [], [], [], []
        self._inflight = (self._pool.submit(self._write, *work), added, deleted)

    def drain(self) -> None:
        """Write everything queued and wait until it is confirmed."""
        self.flush()
        self._wait()

    def close(self) -> None:
        """Write everything queued and stop the thread."""
        try:
            self.drain()
        finally:
            self._pool.shutdown(wait=True)

    def _write(self, chunks: list[ChunkRecord], deletes: list[str], replaced: list[str]) -> None:
        new_ids = {c.id for c in chunks}
        stale: list[str] = []
        for i in range(0, len(replaced), 100):
            old = self._index.ids({"document_id": {"$in": replaced[i : i + 100]}})
            stale += [x for x in old if x not in new_ids]
        for i in range(0, len(deletes), 100):
            self._index.delete(where={"document_id": {"$in": deletes[i : i + 100]}})
        self._index.upsert(chunks)
        if stale:
            self._index.delete(ids=stale)

    def _wait(self) -> None:
        if self._inflight is None:
            return
        future, added, deleted = self._inflight
        self._inflight = None
        try:
            future.result()
        except VectorIndexError as exc:
            self._on_failure(added + deleted, str(exc))
            raise IndexUnavailableError(str(exc)) from None
        self._on_written(added, deleted)
