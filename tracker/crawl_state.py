"""Crawl state in the audit database: one row per page, one per source, SimHash band keys.

The tables live in the same SQLModel metadata and database as the audit log. `CrawlStore`
creates them itself (idempotently) so they exist whichever module touched the database first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, delete, select

from crawlers.dedupe import hamming, simhash_bands
from tracker.audit import AuditLog, to_db_time


class PageStatus:
    """What the last crawl made of a page."""

    INDEXED = "indexed"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    TOO_SHORT = "too_short"
    GONE = "gone"
    FAILED = "failed"


class CrawlPage(SQLModel, table=True):
    """One crawled page, keyed by its canonical URL."""

    __tablename__ = "crawl_pages"

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


TABLES = [
    SQLModel.metadata.tables[str(model.__tablename__)]
    for model in (CrawlPage, CrawlPageBand, CrawlSource)
]


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
        """Create the crawl tables if missing (idempotent)."""
        if not self._ready:
            self.audit_log.ensure_schema()
            SQLModel.metadata.create_all(self.audit_log.engine, tables=TABLES)
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

    def mark_unindexed(self, canonical_urls: Sequence[str], error: str) -> None:
        """Pages whose chunks could not be written: failed, with no validators or hash."""
        with self.session() as s:
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
        """The first indexed page (other than `page`) with the same hash or a near SimHash."""
        other = col(CrawlPage.canonical_url) != page.canonical_url
        indexed = col(CrawlPage.status) == PageStatus.INDEXED
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

    def save_page(self, s: Session, page: CrawlPage) -> CrawlPage:
        """Insert or update a page and keep its band keys (indexed pages only)."""
        page = s.merge(page)
        s.flush()
        s.exec(delete(CrawlPageBand).where(col(CrawlPageBand.page_id) == page.id))
        if page.status == PageStatus.INDEXED and page.simhash is not None and page.id is not None:
            keys = simhash_bands(to_unsigned(page.simhash))
            s.add_all([CrawlPageBand(page_id=page.id, key=k) for k in keys])
        return page


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite returns naive ones)."""
    return to_db_time(value) if value is not None else None


def join_list(items: Sequence[str]) -> str:
    """A list as a stored comma list."""
    return ",".join(items)
