"""Crawl state in the audit database: one row per page, one per source, SimHash band keys,
and what the known-coverage lookup keeps of every indexed page (its passages' tags, their
fingerprints, the URLs that lead to it).

The tables live in the same SQLModel metadata and database as the audit log. `CrawlStore`
creates them itself (idempotently) so they exist whichever module touched the database first.
A page's known-coverage rows are written and removed by `CrawlStore.save_page`, in the
transaction that saves the page itself: a page that is gone, changed or no longer indexed
never leaves fingerprints or URLs behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, delete, select

from selfref.audit import AuditLog
from selfref.audit_query import to_db_time
from selfref.crawlers.dedupe import hamming, simhash_bands
from selfref.fingerprint import to_signed32


class PageStatus:
    """What the last crawl made of a page."""

    INDEXED = "indexed"
    PENDING = "pending"  # saved, its chunks not yet confirmed in the index
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    TOO_SHORT = "too_short"
    GONE = "gone"
    FAILED = "failed"


# Pages whose content counts as indexed for dedupe (a pending page becomes indexed once its
# chunks are written; a crawl killed in between indexes it again on the next run).
LIVE = (PageStatus.INDEXED, PageStatus.PENDING)
# Statuses whose pages must hold no chunks: a nonzero `chunk_count` there means their
# deletion from the index is not yet confirmed.
DROPPED = (PageStatus.DUPLICATE, PageStatus.SKIPPED, PageStatus.TOO_SHORT, PageStatus.GONE)


class CrawlPage(SQLModel, table=True):
    """One crawled page, keyed by its canonical URL.

    `chunk_count` is how many chunks the index may hold for the page: set when its chunks
    are queued, and cleared only once a queued deletion went through.
    """

    __tablename__ = "crawl_pages"
    __table_args__ = (sa.Index("ix_pages_source_status", "source", "status"),)  # the dashboard

    id: int | None = Field(default=None, primary_key=True)
    url: str
    canonical_url: str = Field(sa_column_kwargs={"unique": True}, index=True)
    source: str = Field(max_length=200, index=True)
    status: str = Field(default=PageStatus.FAILED, max_length=20)
    http_status: int | None = None
    failures: int = 0
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = Field(default=None, max_length=64, index=True)
    simhash: int | None = Field(default=None, sa_type=sa.BigInteger)
    duplicate_of: str | None = None
    title: str | None = None
    published: str | None = Field(default=None, max_length=10)
    agents: str = ""
    incidents: str = ""
    personas: str = ""
    category: str | None = Field(default=None, max_length=40)
    chunk_count: int = 0
    last_fetched: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_error: str | None = None


class CrawlPageBand(SQLModel, table=True):
    """A SimHash band key of an indexed page: pages sharing a key are near-dup candidates."""

    __tablename__ = "crawl_page_bands"

    page_id: int = Field(foreign_key="crawl_pages.id", primary_key=True, ondelete="CASCADE")
    key: int = Field(primary_key=True, sa_type=sa.BigInteger, index=True)


class CrawlSource(SQLModel, table=True):
    """One configured source: its persisted state and its health."""

    __tablename__ = "crawl_sources"

    name: str = Field(primary_key=True, max_length=200)
    kind: str = Field(max_length=40)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    last_run: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_success: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_error: str | None = None
    consecutive_failures: int = 0
    next_run_after: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class KnownPassage(SQLModel, table=True):
    """The tags, for one agent, of one indexed passage (crawler chunk) of a page."""

    __tablename__ = "known_passages"

    page_id: int = Field(foreign_key="crawl_pages.id", primary_key=True, ondelete="CASCADE")
    passage: int = Field(primary_key=True)
    agent: str = Field(primary_key=True, max_length=64)
    category: str = Field(max_length=40)
    incidents: str = ""
    personas: str = ""


class KnownFingerprint(SQLModel, table=True):
    """One winnowed shingle hash (signed 32-bit) of an indexed passage: the passage lookup's
    index. Kept narrow (no foreign key, no rowid on SQLite): it is the largest table."""

    __tablename__ = "known_fingerprints"
    __table_args__ = {"sqlite_with_rowid": False}

    hash: int = Field(
        primary_key=True, sa_type=sa.Integer, sa_column_kwargs={"autoincrement": False}
    )
    page_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    passage: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class KnownPage(SQLModel, table=True):
    """An indexed page's fingerprints packed in one value (int32 hashes, then uint16
    passages), so that they can be removed by page without an index on `page_id`."""

    __tablename__ = "known_pages"

    page_id: int = Field(foreign_key="crawl_pages.id", primary_key=True, ondelete="CASCADE")
    fingerprints: bytes = Field(default=b"", sa_type=sa.LargeBinary)


class KnownUrl(SQLModel, table=True):
    """A canonical URL that leads to an indexed page (`page_id`): its own URL, where it
    redirected to, or the URL of a copy of it (`owner` is the page the URL belongs to)."""

    __tablename__ = "known_urls"

    url: str = Field(primary_key=True)
    owner: int = Field(foreign_key="crawl_pages.id", primary_key=True, index=True,
                       ondelete="CASCADE")  # fmt: skip
    page_id: int = Field(foreign_key="crawl_pages.id", ondelete="CASCADE")


TABLES = [
    SQLModel.metadata.tables[str(model.__tablename__)]
    for model in (CrawlPage, CrawlPageBand, CrawlSource, KnownPassage, KnownFingerprint,
                  KnownPage, KnownUrl)
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class PassageTags:
    """What one passage of a page says about one agent."""

    passage: int
    agent: str
    category: str
    incidents: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KnownRecord:
    """What the known-coverage lookup keeps of an indexed page: its passages' tags, the
    fingerprints of each passage, and canonical URLs other than its own that lead to it."""

    passages: list[PassageTags] = field(default_factory=list)
    hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    passage_of: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    urls: list[str] = field(default_factory=list)


def to_signed(h: int) -> int:
    """A 64-bit SimHash as the signed integer a BIGINT column can hold."""
    return h - (1 << 64) if h >= 1 << 63 else h


def to_unsigned(h: int) -> int:
    """Inverse of `to_signed`."""
    return h + (1 << 64) if h < 0 else h


def split_list(value: str) -> list[str]:
    """A stored comma list as a list."""
    return [item for item in value.split(",") if item]


class CrawlStore:
    """Reads and writes crawl state through the audit log's engine and error handling."""

    def __init__(self, audit_log: AuditLog) -> None:
        self.audit_log = audit_log
        self._ready = False

    def ensure_schema(self) -> None:
        """Make sure the database's schema, crawl tables included, is ready (idempotent)."""
        if not self._ready:
            self.audit_log.ensure_schema()
            self._ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction on the audit database (see `AuditLog.session`)."""
        self.ensure_schema()
        with self.audit_log.session() as s:
            yield s

    def source(self, name: str, kind: str) -> CrawlSource:
        """The stored row of a source, or a fresh unsaved one."""
        with self.session() as s:
            row = s.get(CrawlSource, name)
        return row if row is not None else CrawlSource(name=name, kind=kind)

    def save_source(self, row: CrawlSource) -> None:
        """Insert or update a source row."""
        with self.session() as s:
            s.merge(row)

    def sources(self) -> list[CrawlSource]:
        """Every stored source row."""
        with self.session() as s:
            return list(s.exec(select(CrawlSource).order_by(col(CrawlSource.name))).all())

    def pages(self, canonical_urls: Iterable[str]) -> dict[str, CrawlPage]:
        """Stored pages by canonical URL, for those that exist."""
        keys = list(dict.fromkeys(canonical_urls))
        found: dict[str, CrawlPage] = {}
        with self.session() as s:
            for start in range(0, len(keys), 500):
                stmt = select(CrawlPage).where(
                    col(CrawlPage.canonical_url).in_(keys[start : start + 500])
                )
                found.update((p.canonical_url, p) for p in s.exec(stmt).all())
        return found

    def page(self, canonical_url: str) -> CrawlPage | None:
        """One stored page."""
        return self.pages([canonical_url]).get(canonical_url)

    def failing(self, source: str, max_failures: int) -> list[CrawlPage]:
        """Pages of `source` whose last fetch failed fewer than `max_failures` times in a row."""
        stmt = select(CrawlPage).where(
            col(CrawlPage.source) == source,
            col(CrawlPage.failures) > 0,
            col(CrawlPage.failures) < max_failures,
            col(CrawlPage.status) != PageStatus.GONE,
        )
        with self.session() as s:
            return list(s.exec(stmt).all())

    def pending(self, source: str) -> list[CrawlPage]:
        """Pages of `source` saved for indexing whose chunks were never confirmed written
        (a crawl stopped in between): indexed afresh on the next run of the source."""
        stmt = select(CrawlPage).where(
            col(CrawlPage.source) == source, col(CrawlPage.status) == PageStatus.PENDING
        )
        with self.session() as s:
            return list(s.exec(stmt).all())

    def undeleted(self) -> list[str]:
        """Canonical URLs of dropped pages whose chunks may still be in the index."""
        stmt = select(CrawlPage.canonical_url).where(
            col(CrawlPage.status).in_(DROPPED), col(CrawlPage.chunk_count) > 0
        )
        with self.session() as s:
            return list(s.exec(stmt).all())

    def mark_written(self, indexed: Sequence[str], deleted: Sequence[str]) -> None:
        """The index confirmed a batch: its pending pages become indexed, and its dropped
        pages hold no chunks any more."""
        with self.session() as s:
            for start in range(0, max(len(indexed), len(deleted)), 500):
                if batch := list(indexed[start : start + 500]):
                    s.exec(
                        sa.update(CrawlPage)
                        .where(
                            col(CrawlPage.canonical_url).in_(batch),
                            col(CrawlPage.status) == PageStatus.PENDING,
                        )
                        .values(status=PageStatus.INDEXED)
                    )
                if batch := list(deleted[start : start + 500]):
                    s.exec(
                        sa.update(CrawlPage)
                        .where(
                            col(CrawlPage.canonical_url).in_(batch),
                            col(CrawlPage.status).in_(DROPPED),
                        )
                        .values(chunk_count=0)
                    )

    def mark_unindexed(self, canonical_urls: Sequence[str], error: str) -> None:
        """Pages whose chunks could not be written: failed, with no validators or hash
        (and nothing left for the known-coverage lookup)."""
        with self.session() as s:
            stmt = select(CrawlPage.id).where(
                col(CrawlPage.canonical_url).in_(list(canonical_urls))
            )
            for page_id in s.exec(stmt).all():
                if page_id is not None:
                    forget_known(s, page_id)
            s.exec(
                sa.update(CrawlPage)
                .where(col(CrawlPage.canonical_url).in_(list(canonical_urls)))
                .values(
                    status=PageStatus.FAILED,
                    etag=None,
                    last_modified=None,
                    content_hash=None,
                    failures=col(CrawlPage.failures) + 1,
                    last_error=error,
                )
            )

    def release_copies(self, canonical_url: str) -> None:
        """Forget the validators and hash of the duplicates of a page that changed or went,
        so each is fetched unconditionally and judged afresh (and indexed if now the first)."""
        with self.session() as s:
            s.exec(
                sa.update(CrawlPage)
                .where(col(CrawlPage.duplicate_of) == canonical_url)
                .values(etag=None, last_modified=None, content_hash=None)
            )

    def find_copy(self, s: Session, page: CrawlPage, max_distance: int) -> CrawlPage | None:
        """The first indexed or pending page (other than `page`) with the same hash or a near
        SimHash."""
        other = col(CrawlPage.canonical_url) != page.canonical_url
        indexed = col(CrawlPage.status).in_(LIVE)
        if page.content_hash:
            stmt = select(CrawlPage).where(
                col(CrawlPage.content_hash) == page.content_hash, other, indexed
            )
            exact = s.exec(stmt.order_by(col(CrawlPage.id))).first()
            if exact is not None:
                return exact
        if page.simhash is None:
            return None
        keys = simhash_bands(to_unsigned(page.simhash))
        ids = select(CrawlPageBand.page_id).where(col(CrawlPageBand.key).in_(keys))
        stmt = select(CrawlPage).where(col(CrawlPage.id).in_(ids), other, indexed)
        for candidate in s.exec(stmt.order_by(col(CrawlPage.id))).all():
            if candidate.simhash is not None and (
                hamming(to_unsigned(candidate.simhash), to_unsigned(page.simhash)) <= max_distance
            ):
                return candidate
        return None

    def save_page(self, s: Session, page: CrawlPage, known: KnownRecord | None = None) -> CrawlPage:
        """Insert or update a page and keep its band keys (indexed or pending pages only).

        `known` replaces the page's known-coverage rows (its content was indexed afresh);
        without it an indexed page keeps them, and a page in any other status loses them
        (a duplicate keeps one URL row pointing at the page it copies). A pending page's
        rows are written with it but cited by the lookup only once it is indexed.
        """
        page = s.merge(page)
        s.flush()
        assert page.id is not None
        s.exec(delete(CrawlPageBand).where(col(CrawlPageBand.page_id) == page.id))
        indexed = page.status in LIVE
        if indexed and page.simhash is not None:
            keys = simhash_bands(to_unsigned(page.simhash))
            s.add_all([CrawlPageBand(page_id=page.id, key=k) for k in keys])
        if known is not None or not indexed:
            forget_known(s, page.id)
        if known is not None and indexed:
            _write_known(s, page, known)
        elif page.status == PageStatus.DUPLICATE and page.duplicate_of:
            target = s.exec(
                select(CrawlPage.id).where(col(CrawlPage.canonical_url) == page.duplicate_of)
            ).first()
            if target is not None:
                s.add(KnownUrl(url=page.canonical_url, owner=page.id, page_id=target))
        return page

    def known_pages(self, page_ids: Iterable[int]) -> set[int]:
        """Which of these pages have known-coverage rows (pages indexed before the lookup
        existed have none, and are indexed afresh on their next crawl)."""
        ids = list(page_ids)
        found: set[int] = set()
        with self.session() as s:
            for start in range(0, len(ids), 500):
                stmt = select(KnownPage.page_id).where(
                    col(KnownPage.page_id).in_(ids[start : start + 500])
                )
                found.update(s.exec(stmt).all())
        return found


def forget_known(s: Session, page_id: int) -> None:
    """Remove a page's passages, fingerprints and the URLs it owns.

    Every page with known-coverage rows owns a URL row (they are written together), so a
    page that owns none (most skipped pages) costs one indexed read.
    """
    owned = s.exec(select(KnownUrl.url).where(col(KnownUrl.owner) == page_id).limit(1)).first()
    if owned is None:
        return
    packed = s.get(KnownPage, page_id)
    if packed is not None:
        hashes, passages = unpack_fingerprints(packed.fingerprints)
        if len(hashes):
            fp = sa.table("known_fingerprints", sa.column("hash"), sa.column("page_id"),
                          sa.column("passage"))  # fmt: skip
            s.execute(
                sa.delete(fp).where(
                    fp.c.hash == sa.bindparam("h"),
                    fp.c.page_id == page_id,
                    fp.c.passage == sa.bindparam("p"),
                ),
                [{"h": h, "p": p} for h, p in zip(hashes.tolist(), passages.tolist(), strict=True)],
            )
        s.delete(packed)
    s.exec(delete(KnownPassage).where(col(KnownPassage.page_id) == page_id))
    s.exec(delete(KnownUrl).where(col(KnownUrl.owner) == page_id))


def _write_known(s: Session, page: CrawlPage, known: KnownRecord) -> None:
    assert page.id is not None
    pairs = sorted(set(zip(to_signed32(known.hashes), known.passage_of.tolist(), strict=True)))
    if pairs:
        s.execute(
            sa.insert(KnownFingerprint),
            [{"hash": h, "page_id": page.id, "passage": p} for h, p in pairs],
        )
    s.add(KnownPage(page_id=page.id, fingerprints=pack_fingerprints(pairs)))
    s.add_all(
        KnownPassage(
            page_id=page.id,
            passage=t.passage,
            agent=t.agent,
            category=t.category,
            incidents=join_list(t.incidents),
            personas=join_list(t.personas),
        )
        for t in known.passages
    )
    urls = dict.fromkeys([page.canonical_url, *known.urls])
    s.add_all(KnownUrl(url=url, owner=page.id, page_id=page.id) for url in urls)


def pack_fingerprints(pairs: Sequence[tuple[int, int]]) -> bytes:
    """(signed 32-bit hash, passage) pairs as int32 hashes followed by uint16 passages."""
    hashes = np.array([h for h, _ in pairs], dtype="<i4")
    passages = np.array([p for _, p in pairs], dtype="<u2")
    return hashes.tobytes() + passages.tobytes()


def unpack_fingerprints(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `pack_fingerprints`: (hashes, passages)."""
    n = len(data) // 6
    return (
        np.frombuffer(data, dtype="<i4", count=n).astype(np.int64),
        np.frombuffer(data, dtype="<u2", count=n, offset=4 * n).astype(np.int64),
    )


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns naive ones)."""
    return to_db_time(value) if value is not None else None


def join_list(items: Sequence[str]) -> str:
    """A list as a stored comma list."""
    return ",".join(items)
