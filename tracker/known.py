"""Known coverage: the crawled page a retrieved document points at, repeats or paraphrases.

Three lookups, cheapest first; each document gets the first that finds something:

1. URL: the document's canonical URL leads to a page the crawl indexed for this agent (its
   own URL, where it redirected to, or the URL of a copy the crawl linked to it).
2. Passage: the document repeats passages of such a page, whatever the boundaries, with
   the names removed or not, on another site (`selfref.fingerprint`): at least
   `MIN_MATCHES` fingerprints of the page's passages about this agent (a text too short
   for two may share one, if the chunk it falls in, read back from the index, holds most of
   the text's shingles); `share` is the part of the document they cover.
3. Semantic: a window of the document (about `WINDOW_CHARS`, the scale of a retrieved
   passage) is nearest, among crawled chunks and passages, to one of a page about this
   agent, at `similarity` or more and not clearly nearer to another agent's coverage.
   Only documents with some AI vocabulary (`_WORTH_EMBEDDING`) or one of the agent's
   names, personas, vendor or vendor people are embedded.

Every answer comes from the crawl state as it is now: a page that is gone, changed away
from the agent or no longer indexed is never cited (its rows are removed in the
transaction that records it). The URL and passage lookups are two or three indexed SQL
queries per batch of documents; the semantic lookup embeds.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from selfref.audit import AuditLog
from selfref.catalog import Catalog
from selfref.corpus import CRAWL_SOURCE
from selfref.crawl_state import CrawlStore, PageStatus, split_list, utc
from selfref.crawlers.urls import canonicalize
from selfref.detect import Known
from selfref.documents import CheckDocument
from selfref.errors import IndexUnavailableError, StorageError
from selfref.fingerprint import Fingerprinter, signed32
from selfref.index import VectorIndex, VectorIndexError, chunk_id
from selfref.tagging import AI_NEAR, CATEGORIES

URL = "url"
PASSAGE = "passage"
SEMANTIC = "semantic"
COVERAGE_TTL = 30.0  # seconds a "has the crawl indexed anything?" answer is reused

MIN_MATCHES = 2  # fingerprints a document must share with a page (one may be chance) ...
VERIFIED = 0.5  # ... or, for a short text, one whose chunk holds this share of its shingles
COMMON = 50  # a fingerprint found in more pages than this is boilerplate, not coverage
# A window this close (MiniLM cosine) to a crawled chunk or passage of a page about the
# agent paraphrases it, unless another agent's crawled coverage is nearer still. On the
# test site's paraphrases the page paraphrased scores 0.57-0.79, other pages of coverage at
# most 0.47, texts about the same agent's products at most 0.47.
SIMILARITY = 0.55
WINDOWS = 3  # windows of one document embedded, at most
WINDOW_CHARS = 600
_BATCH = 900  # bound parameters per SQL statement
# Cheap test of whether a text could paraphrase coverage of an AI at all (broader than the
# tagger's AI_NEAR: here it only decides what is worth embedding).
_WORTH_EMBEDDING = re.compile(
    r"\b(?:bots?|chat\w*|assistants?|models?|algorithms?|software|computer|search engine|"
    r"prompts?|trained|training|machine|digital)\b",
    re.IGNORECASE,
)


KnownMatch = Known
"""Crawled coverage a retrieved document repeats or points at: the detector's `Known`
(url, crawled_at, category, incidents, personas, how, share, similarity)."""


@dataclass(frozen=True, slots=True)
class _Page:
    """An indexed page and its passages' tags for one agent."""

    url: str
    crawled_at: dt.datetime
    passages: dict[int, tuple[str, tuple[str, ...], tuple[str, ...]]]

    def match(
        self,
        how: str,
        share: float,
        passages: Iterable[int] | None = None,
        similarity: float | None = None,
    ) -> KnownMatch | None:
        """The match citing these passages (all of the page's for None), or None if the
        page holds none of them for the agent."""
        keys = (
            list(self.passages) if passages is None else [p for p in passages if p in self.passages]
        )
        if not keys:
            return None
        tags = [self.passages[p] for p in sorted(set(keys))]
        return KnownMatch(
            url=self.url,
            crawled_at=self.crawled_at,
            category=min((t[0] for t in tags), key=_strength),
            incidents=tuple(dict.fromkeys(i for t in tags for i in t[1])),
            personas=tuple(dict.fromkeys(p for t in tags for p in t[2])),
            how=how,
            share=round(min(1.0, share), 4),
            similarity=None if similarity is None else round(similarity, 4),
        )


class KnownCoverage:
    """Looks retrieved documents up in what the crawl indexed (see the module doc).

    `index` is the vector index or a function that opens it (only the semantic lookup
    needs it); `fingerprinter` must be the one the crawl used (by default: the catalog's).
    """

    def __init__(
        self,
        audit_log: AuditLog,
        catalog: Catalog,
        *,
        index: VectorIndex | Callable[[], VectorIndex] | None = None,
        fingerprinter: Fingerprinter | None = None,
        similarity: float = SIMILARITY,
    ) -> None:
        self.audit_log = audit_log
        self.catalog = catalog
        self.fingerprinter = fingerprinter or Fingerprinter.for_catalog(catalog)
        self.similarity = similarity
        self._index = index
        self._store = CrawlStore(audit_log)
        self._names: dict[str, re.Pattern[str]] = {}
        self._any: bool | None = None
        self._checked_at = 0.0

    # -- the lookup -------------------------------------------------------------------

    def lookup(
        self, agent: str, documents: Sequence[CheckDocument], *, semantic: bool = True
    ) -> list[KnownMatch | None]:
        """Per document, the strongest known coverage of `agent` it points at or repeats:
        by URL, else by passages, else (unless `semantic` is false) by similarity."""
        self.catalog.get(agent)
        found = self.by_url(agent, [d.url for d in documents])
        todo = [i for i, m in enumerate(found) if m is None]
        for i, m in zip(
            todo, self.by_passage(agent, [documents[i].text for i in todo]), strict=True
        ):
            found[i] = m
        if semantic:
            todo = [i for i, m in enumerate(found) if m is None]
            near = self.by_similarity(agent, [documents[i].text for i in todo])
            for i, m in zip(todo, near, strict=True):
                found[i] = m
        return found

    def by_url(self, agent: str, urls: Sequence[str | None]) -> list[KnownMatch | None]:
        """A match for each URL that leads to a page indexed for `agent`."""
        keys: list[str | None] = []
        for url in urls:
            try:
                keys.append(canonicalize(url) if url else None)
            except ValueError:
                keys.append(None)
        wanted = sorted({k for k in keys if k})
        if not wanted:
            return [None] * len(urls)
        leads: dict[str, int] = {}
        with self._connect() as conn:
            for url, page_id in _rows_in(
                conn, "SELECT url, page_id FROM known_urls WHERE url IN ({in})", wanted
            ):
                leads.setdefault(url, page_id)
            pages = self._pages(conn, agent, set(leads.values()))
        out: list[KnownMatch | None] = []
        for key in keys:
            page = pages.get(leads.get(key, -1)) if key else None
            out.append(page.match(URL, 1.0) if page else None)
        return out

    def by_passage(self, agent: str, texts: Sequence[str]) -> list[KnownMatch | None]:
        """A match for each text that repeats passages of a page indexed for `agent`."""
        fp = self.fingerprinter
        queries = [(signed32(h), pos, n) for h, pos, n in (fp.query(text) for text in texts)]
        if not any(len(h) for h, _, _ in queries):
            return [None] * len(texts)
        keys = np.unique(np.concatenate([h for h, _, _ in queries])).tolist()
        with self._connect() as conn:
            where = _fingerprints(conn, keys)
            matched = [
                _matched(hashes, positions, where, 1 if n <= 2 * fp.window else MIN_MATCHES)
                for hashes, positions, n in queries
            ]
            candidates = {page_id for per_page in matched for page_id in per_page}
            pages = self._pages(conn, agent, candidates) if candidates else {}
        out: list[KnownMatch | None] = []
        unsure: list[tuple[int, _Page, list[int]]] = []
        for i, ((_, _, n), per_page) in enumerate(zip(queries, matched, strict=True)):
            best: tuple[float, int] | None = None
            chosen: KnownMatch | None = None
            for page_id, found in per_page.items():
                page = pages.get(page_id)
                mine = [(pos, p) for pos, p in found if page is not None and p in page.passages]
                at = {pos for pos, _ in mine}
                if page is None or not at:
                    continue
                passages = sorted({p for _, p in mine})
                if len(at) < MIN_MATCHES:
                    unsure.append((i, page, passages))
                    continue
                share = fp.covered(at, n)
                if best is None or (share, len(at)) > best:
                    best, chosen = (share, len(at)), page.match(PASSAGE, share, passages)
            out.append(chosen)
        if unsure:
            self._verify(texts, unsure, out)
        return out

    def _verify(
        self,
        texts: Sequence[str],
        unsure: list[tuple[int, _Page, list[int]]],
        out: list[KnownMatch | None],
    ) -> None:
        """Short texts that share one fingerprint with a page: matched if the chunks around
        it (read back from the index) hold at least VERIFIED of the text's shingles. Without
        the index they stay unmatched."""
        fp = self.fingerprinter
        todo = [(i, page, ps) for i, page, ps in unsure if out[i] is None]
        ids = {
            chunk_id(page.url, q): (i, page, ps)
            for i, page, ps in todo
            for p in ps
            for q in (p - 1, p, p + 1)
            if q >= 0
        }
        try:
            stored = self._open_index().texts(list(ids))
        except (IndexUnavailableError, VectorIndexError):
            return
        around: dict[tuple[int, str], set[int]] = defaultdict(set)
        for cid, text in stored.items():
            i, page, _ = ids[cid]
            around[(i, page.url)].update(fp.shingles(text).hashes.tolist())
        for i, page, passages in todo:
            if out[i] is not None:
                continue
            own = set(fp.shingles(texts[i]).hashes.tolist())
            share = len(own & around[(i, page.url)]) / len(own) if own else 0.0
            if share >= VERIFIED:
                out[i] = page.match(PASSAGE, share, passages)

    def by_similarity(self, agent: str, texts: Sequence[str]) -> list[KnownMatch | None]:
        """A match for each text whose passage-scale window is nearest to a crawled passage
        of a page indexed for `agent` (only texts with AI vocabulary or the agent's names
        are embedded)."""
        out: list[KnownMatch | None] = [None] * len(texts)
        windows: list[tuple[int, str]] = []
        for i, text in enumerate(texts):
            windows += [(i, w) for w in self._windows(agent, text)]
        if not windows:
            return out
        index = self._open_index()
        try:
            vectors = index.embedder.embed([w for _, w in windows])
            results = index.search_vectors(vectors, k=10, where={"source": CRAWL_SOURCE})
        except VectorIndexError as exc:
            raise IndexUnavailableError(str(exc)) from None
        per_text: dict[int, list[tuple[float, str, int]]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        for (i, _), hits in zip(windows, results, strict=True):
            counts[i] += 1
            own = next((h for h in hits if agent in (h.metadata.get("agents") or [])), None)
            other = next((h for h in hits if agent not in (h.metadata.get("agents") or [])), None)
            if own is None or own.similarity < self.similarity:
                continue
            if other is not None and other.similarity > own.similarity:
                continue
            chunk = int(own.metadata.get("chunk", -1))
            per_text[i].append((own.similarity, str(own.metadata.get("document_id")), chunk))
        if not per_text:
            return out
        with self._connect() as conn:
            pages = self._pages_by_url(conn, agent, {d for v in per_text.values() for _, d, _ in v})
        for i, found in per_text.items():
            for similarity, doc_id, chunk in sorted(found, reverse=True):
                page = pages.get(doc_id)
                match = page.match(SEMANTIC, 0.0, [chunk], similarity) if page else None
                if match is not None:
                    share = sum(1 for _, d, _ in found if d == doc_id) / counts[i]
                    out[i] = replace(match, share=round(share, 4))
                    break
        return out

    def has_coverage(self) -> bool:
        """Whether the crawl holds any indexed page's fingerprints (read at most every
        COVERAGE_TTL seconds), so that a check on a home that never crawled runs no
        lookup at all."""
        now = time.monotonic()
        if self._any is None or now - self._checked_at > COVERAGE_TTL:
            with self._connect() as conn:
                row = conn.execute(sa.text("SELECT 1 FROM known_pages LIMIT 1")).first()
            self._any, self._checked_at = row is not None, now
        return self._any

    def indexed(self, document_ids: Iterable[str]) -> set[str]:
        """Those of these canonical URLs that the crawl state holds as indexed pages."""
        ids = sorted(set(document_ids))
        if not ids:
            return set()
        with self._connect() as conn:
            rows = _rows_in(
                conn,
                "SELECT canonical_url FROM crawl_pages WHERE status = {p} AND canonical_url "
                "IN ({in})",
                ids,
                [PageStatus.INDEXED],
            )
        return {r[0] for r in rows}

    # -- helpers ----------------------------------------------------------------------

    def _pages(self, conn: sa.Connection, agent: str, page_ids: Iterable[int]) -> dict[int, _Page]:
        """Indexed pages by id, with their passages' tags for `agent` (pages without any
        are left out)."""
        return self._select_pages(conn, agent, "p.id", sorted(page_ids), key=0)

    def _pages_by_url(
        self, conn: sa.Connection, agent: str, urls: Iterable[str]
    ) -> dict[str, _Page]:
        return self._select_pages(conn, agent, "p.canonical_url", sorted(urls), key=1)

    def _select_pages(
        self, conn: sa.Connection, agent: str, column: str, values: list[Any], key: int
    ) -> dict[Any, _Page]:
        rows = _rows_in(
            conn,
            "SELECT p.id, p.canonical_url, p.last_fetched, k.passage, k.category, k.incidents, "
            "k.personas FROM known_passages k JOIN crawl_pages p ON p.id = k.page_id "
            f"WHERE k.agent = {{p}} AND p.status = {{p}} AND {column} IN ({{in}})",
            values,
            [agent, PageStatus.INDEXED],
        )
        pages: dict[Any, _Page] = {}
        for row in rows:
            page_id, url, fetched, passage, category, incidents, personas = row
            k = (page_id, url)[key]
            page = pages.get(k)
            if page is None:
                crawled = utc(_as_datetime(fetched)) or dt.datetime.fromtimestamp(0, dt.UTC)
                page = pages[k] = _Page(url, crawled, {})
            page.passages[passage] = (
                category,
                tuple(split_list(incidents)),
                tuple(split_list(personas)),
            )
        return pages

    def _windows(self, agent: str, text: str) -> list[str]:
        """Passage-scale windows of a text worth embedding: from its first AI word or term
        of the agent on (none when it has neither)."""
        hit = (
            AI_NEAR.search(text)
            or _WORTH_EMBEDDING.search(text)
            or self._name_pattern(agent).search(text)
        )
        if hit is None:
            return []
        if len(text) <= WINDOW_CHARS * 3 // 2:
            return [text]
        start = max(0, min(hit.start() - WINDOW_CHARS // 4, len(text) - WINDOW_CHARS))
        out = []
        for j in range(WINDOWS):
            piece = text[start + j * WINDOW_CHARS : start + (j + 1) * WINDOW_CHARS]
            if len(piece.strip()) < WINDOW_CHARS // 3:
                break
            out.append(piece)
        return out

    def _name_pattern(self, agent: str) -> re.Pattern[str]:
        pattern = self._names.get(agent)
        if pattern is None:
            profile = self.catalog.get(agent)
            names = [*profile.all_names, *(t for p in profile.personas for t in p.terms)]
            names += [n for n in (profile.vendor, *profile.people) if n]
            alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            pattern = self._names[agent] = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
        return pattern

    def _open_index(self) -> VectorIndex:
        if self._index is None:
            raise IndexUnavailableError("known coverage: no vector index to search")
        if not isinstance(self._index, VectorIndex):
            self._index = self._index()
        return self._index

    def _connect(self) -> _Connection:
        self._store.ensure_schema()
        return _Connection(self.audit_log)


class _Connection:
    """A read connection on the audit database; SQL errors become StorageError."""

    def __init__(self, audit_log: AuditLog) -> None:
        self._audit_log = audit_log
        self._conn: sa.Connection | None = None

    def __enter__(self) -> sa.Connection:
        try:
            self._conn = self._audit_log.engine.connect()
        except SQLAlchemyError as exc:
            raise _storage_error(self._audit_log, exc) from exc
        return self._conn

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        assert self._conn is not None
        self._conn.close()
        if isinstance(exc, SQLAlchemyError):
            raise _storage_error(self._audit_log, exc) from exc


def _fingerprints(conn: sa.Connection, keys: list[int]) -> dict[int, list[tuple[int, int]]]:
    """The (page, passage) pairs holding each of these fingerprints."""
    where: dict[int, list[tuple[int, int]]] = defaultdict(list)
    sql = "SELECT hash, page_id, passage FROM known_fingerprints WHERE hash IN ({in})"
    for h, page_id, passage in _rows_in(conn, sql, keys):
        where[h].append((page_id, passage))
    return where


def _rows_in(
    conn: sa.Connection, sql: str, values: Sequence[Any], params: Sequence[Any] = ()
) -> list[Any]:
    """Rows of `sql` (`{p}` a parameter, `{in}` the list of `values`), `_BATCH` values at a
    time. Straight to the driver: SQLAlchemy's expanding parameters cost more than the
    query itself on a list of fingerprints."""
    style = conn.dialect.paramstyle
    marker = "?" if style == "qmark" else "%s" if style in ("format", "pyformat") else None
    rows: list[Any] = []
    for start in range(0, len(values), _BATCH):
        part = list(values[start : start + _BATCH])
        if marker is None:  # a driver with named parameters: let SQLAlchemy bind them
            names = {f"v{i}": v for i, v in enumerate([*params, *part])}
            text = sql.replace("{p}", "{}").replace("{in}", "{}")
            slots = [f":v{i}" for i in range(len(params))]
            slots.append(", ".join(f":v{i}" for i in range(len(params), len(names))))
            rows += conn.execute(sa.text(text.format(*slots)), names).all()
            continue
        text = sql.replace("{p}", marker).replace("{in}", ", ".join([marker] * len(part)))
        rows += conn.exec_driver_sql(text, (*params, *part)).all()
    return rows


def _matched(
    hashes: Any, positions: Any, where: dict[int, list[tuple[int, int]]], least: int
) -> dict[int, list[tuple[int, int]]]:
    """Per page sharing at least `least` of a text's fingerprints: (position, passage) of
    each; fingerprints in more than COMMON pages are boilerplate and do not count."""
    per_page: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not where:
        return {}
    hit = np.isin(hashes, np.fromiter(where, dtype=np.int64, count=len(where)))
    for h, pos in zip(hashes[hit].tolist(), positions[hit].tolist(), strict=True):
        found = where[h]
        if len({page_id for page_id, _ in found}) > COMMON:
            continue
        for page_id, passage in found:
            per_page[page_id].append((pos, passage))
    return {pg: v for pg, v in per_page.items() if len({pos for pos, _ in v}) >= least}


def _storage_error(audit_log: AuditLog, exc: SQLAlchemyError) -> StorageError:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return StorageError(
        f"cannot read known coverage from the audit database {audit_log.display_url}: {text}"
    )


def _strength(category: str) -> int:
    return CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)


def _as_datetime(value: Any) -> dt.datetime | None:
    """A time column as read through a text query (SQLite returns a string)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))
