"""The crawl pipeline: sources -> fetch -> extract -> tag -> dedupe -> chunk -> index.

One pass over the configured `[[sources]]` (or the catalog's default sources). Every
page ends in exactly one outcome: unchanged (a 304, or the same text), new, updated,
duplicate (exact hash or SimHash near-copy of an indexed page: linked, not indexed),
skipped (too short, or about no tracked agent: see `selfref.tagging`), gone, or failed.

Only coverage enters the corpus: of an indexed page, only the chunks about one of its
agents are indexed (each with its own tags), at most `[crawl] max_chunks` of them (40 by
default: the rest are skipped and counted as over the cap). Each indexed chunk is also
embedded in passages of about `[index] passage_size` characters, the scale of a retrieved
passage, and fingerprinted for the known-coverage lookup (`selfref.known`); the
fingerprints, passage tags and URLs are written in the transaction that saves the page.
Chunks of indexed pages are embedded in batches across pages on one writer thread, so
embedding overlaps fetching and extraction.

Crash safety: a page to index is saved as `pending` and becomes `indexed` only once the
writer confirmed its chunks in the index; a dropped page keeps its `chunk_count` until its
chunks' deletion is confirmed. A crawl killed at any point therefore leaves pending pages,
which the next run of their source fetches and indexes afresh (chunk ids are stable, so
chunks already written are replaced, never doubled), and dropped pages whose chunks are
deleted at the start of the next crawl.

Gone pages: a 410 removes the page's chunks (and its fingerprints and URL entries) at once;
a 404 does so after `GONE_AFTER_404` consecutive 404s (a page briefly missing keeps its
chunks). Any other failure keeps whatever was indexed. A source that fails as a whole (or
whose every page fails) is recorded and skipped for `[crawl] failure_backoff`, doubled per
consecutive failure up to `BACKOFF_MAX_FACTOR` times, and reported as in backoff, never
dropped.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from itertools import chain
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from selfref.audit import AuditLog
from selfref.catalog import Catalog
from selfref.config import Config, CrawlSettings, SourceSettings
from selfref.corpus import CRAWL_SOURCE
from selfref.crawl_state import (
    CrawlPage,
    CrawlStore,
    KnownRecord,
    PageStatus,
    PassageTags,
    join_list,
    to_signed,
    utc,
)
from selfref.crawlers.dedupe import MAX_DISTANCE, content_hash, simhash
from selfref.crawlers.extract import extract
from selfref.crawlers.fetch import Fetcher, FetchRequest, FetchResult, FetchSettings, FetchStatus
from selfref.crawlers.sources import Candidate, Source
from selfref.crawlers.urls import canonicalize
from selfref.detect import Detector
from selfref.errors import ConfigError
from selfref.events import (
    CrawlPageEvent,
    CrawlPageFailed,
    CrawlPageIndexed,
    CrawlPageSkipped,
    Event,
    SourceFailed,
)
from selfref.fingerprint import Fingerprinter
from selfref.index import ChunkRecord, VectorIndex, chunk_id, split_text
from selfref.index_writer import IndexWriter
from selfref.netguard import AddressGuard
from selfref.sources import build_configured
from selfref.tagging import CATEGORIES, NEUTRAL, Tags, tag, tag_chunks, text_detector
from selfref.transport import GuardedTransport

GONE_AFTER_404 = 3
RETRY_FAILED_RUNS = 5
BACKOFF_MAX_FACTOR = 32
AIID_CITE = "https://incidentdatabase.ai/cite/{}/"
_SETTLED = (PageStatus.INDEXED, PageStatus.DUPLICATE, PageStatus.SKIPPED, PageStatus.TOO_SHORT)
# Chunk metadata keys owned by the pipeline; a candidate's metadata never overrides them.
_CORE_META = frozenset(
    {"document_id", "url", "title", "agents", "incidents", "personas", "category",
     "published", "source", "crawl_source", "chunk", "passage", "scale", "author", "site",
     "language"}
)  # fmt: skip
# Candidate metadata keys renamed in chunk metadata, and keys left out (bulky or redundant).
_META_NAMES = {"incident_ids": "aiid_incidents", "report_number": "aiid_report",
               "revision_id": "revision"}  # fmt: skip
_META_SKIP = frozenset({"summary", "revision_time"})
_META_MAX_CHARS = 500


@dataclass(frozen=True, slots=True)
class CrawlProgress:
    """Progress within one source: `done` of `total` candidates handled."""

    source: str
    done: int
    total: int


Progress = Callable[[CrawlProgress], None]


_OUTCOMES = ("fetched", "unchanged", "new", "updated", "duplicate", "skipped", "gone", "failed")


@dataclass
class Counts:
    """Page outcomes; `fetched` counts bodies downloaded, the rest partition the pages.

    Skipped pages are `too_short` or `about_no_agent`; `over_cap` pages were indexed only up
    to `[crawl] max_chunks` chunks (`chunks_over_cap` counts the chunks left out).
    """

    fetched: int = 0
    unchanged: int = 0
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    skipped: int = 0
    gone: int = 0
    failed: int = 0
    too_short: int = 0
    about_no_agent: int = 0
    over_cap: int = 0
    chunks_over_cap: int = 0

    def count(self, page: CrawlPageEvent) -> None:
        """Count a page's outcome, its download, and why it was skipped."""
        setattr(self, page.outcome, getattr(self, page.outcome) + 1)
        if not isinstance(page, CrawlPageFailed) and page.fetched:
            self.fetched += 1
        if isinstance(page, CrawlPageSkipped) and page.reason:
            setattr(self, page.reason, getattr(self, page.reason) + 1)

    def add(self, other: Counts) -> None:
        """Add another set of counts to this one."""
        for f in fields(Counts):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def counts(self) -> dict[str, int]:
        """The page outcomes by name."""
        return {name: getattr(self, name) for name in _OUTCOMES}

    def skips(self) -> dict[str, int]:
        """Skipped pages by reason, and pages indexed only up to the chunk cap."""
        return {
            "too_short": self.too_short,
            "about_no_agent": self.about_no_agent,
            "over_cap": self.over_cap,
        }


@dataclass
class SourceResult(Counts):
    """One source's run: `status` is ok, failed or backoff (skipped, not run)."""

    name: str = ""
    kind: str = ""
    status: str = "ok"
    error: str | None = None
    consecutive_failures: int = 0
    next_run_after: dt.datetime | None = None
    limits: list[str] = field(default_factory=list)  # caps that left candidates out

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        out = asdict(self)
        for name in self.skips():
            out.pop(name)
        out["skipped_by_reason"] = self.skips()
        out["next_run_after"] = self.next_run_after.isoformat() if self.next_run_after else None
        return out


@dataclass
class CrawlReport(Counts):
    """Totals over the sources, each source's result, and every failure message."""

    sources: list[SourceResult] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def not_ok(self) -> list[SourceResult]:
        """The sources that failed this run or were skipped in backoff after failing."""
        return [s for s in self.sources if s.status != "ok"]

    def failure_lines(self) -> list[str]:
        """One line per source that failed or waits in backoff, then one per distinct page
        error (with how many pages had it and one of them), never the same line twice."""
        lines = list(dict.fromkeys(s.error for s in self.sources if s.error))
        pages: dict[str, list[str]] = {}
        for message in self.failures:
            if message not in lines:
                url, _, why = message.partition(": ")  # "URL: why"; a URL holds no ": "
                pages.setdefault(why or url, []).append(url)
        for why, urls in pages.items():
            lines.append(
                f"{urls[0]}: {why}"
                if len(urls) == 1
                else f"{len(urls)} pages: {why} (e.g. {urls[0]})"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            **self.counts(),
            "skipped_by_reason": self.skips(),
            "chunks_over_cap": self.chunks_over_cap,
            "sources": [s.to_dict() for s in self.sources],
            "failures": list(self.failures),
        }


@dataclass(frozen=True)
class CrawlParts:
    """What a crawl uses of the hub, handed in piece by piece; the index and the
    fingerprinter are opened only once the sources are known to be valid. Each page's
    outcome and each failed source go to `publish` once saved."""

    config: Config
    catalog: Catalog
    log: AuditLog
    detector: Detector
    clock: Callable[[], dt.datetime]
    publish: Callable[[Event], None]
    index: Callable[[], VectorIndex]
    fingerprinter: Callable[[], Fingerprinter]


def run_crawl(
    parts: CrawlParts,
    sources: list[str] | None = None,
    progress: Progress | None = None,
    *,
    force: bool = False,
) -> CrawlReport:
    """One pass over the named sources (all enabled ones by default); see the module doc.
    `force` runs sources in failure backoff too, and leaves their backoff as it was when
    they fail again (a hand-run retry does not push the daemon's next attempt back)."""
    specs = _selected(parts.config, parts.catalog, sources)
    built = [(spec, build_configured(parts.config, i, spec)) for i, spec in specs]
    report = CrawlReport()
    with _fetcher(parts.config.settings.crawl) as fetcher, _Run(parts, fetcher) as run:
        for spec, source in built:
            result = run.source(spec, source, progress, force=force)
            report.sources.append(result)
            report.add(result)
            if result.error:
                report.failures.append(result.error)
            report.failures += run.page_errors
            run.page_errors = []
    return report


def default_sources(catalog: Catalog) -> list[SourceSettings]:
    """Sources for the catalog's agents: Wikipedia pages, AIID cite pages, HN and GDELT."""
    titles: list[str] = []
    cites: list[str] = []
    out: list[dict[str, Any]] = []
    for profile in catalog:
        for incident in profile.incidents:
            for url in incident.sources:
                parts = urlsplit(url)
                if parts.hostname == "en.wikipedia.org" and parts.path.startswith("/wiki/"):
                    titles.append(unquote(parts.path.removeprefix("/wiki/")).replace("_", " "))
            cites += [AIID_CITE.format(n) for n in incident.aiid]
        for term in [profile.name, *(p.name for p in profile.personas)]:
            slug = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
            out.append({"name": f"hn-{slug}", "kind": "hn", "query": term})
            out.append({"name": f"gdelt-{slug}", "kind": "gdelt", "query": f'"{term}"'})
    head: list[dict[str, Any]] = []
    if titles:
        head.append({"name": "wikipedia", "kind": "wikipedia", "titles": _unique(titles)})
    if cites:
        head.append({"name": "aiid-cite", "kind": "urls", "urls": _unique(cites)})
    return [SourceSettings.model_validate(data) for data in head + out]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _selected(
    config: Config, catalog: Catalog, names: list[str] | None
) -> list[tuple[int, SourceSettings]]:
    """(position in the config, settings) of the sources to run; unknown names are refused."""
    configured = config.settings.sources or default_sources(catalog)
    if not names:
        return [(i, s) for i, s in enumerate(configured) if s.enabled]
    by_name = {s.name: i for i, s in enumerate(configured)}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ConfigError(
            f"unknown source {unknown[0]!r}; configured sources: {', '.join(by_name) or 'none'}"
        )
    return [(by_name[n], configured[by_name[n]]) for n in _unique(names)]


def _fetcher(crawl: CrawlSettings) -> Fetcher:
    try:
        settings = FetchSettings(
            user_agent=crawl.user_agent,
            per_host_delay=crawl.per_host_delay.total_seconds(),
            timeout=crawl.timeout.total_seconds(),
            max_page_bytes=crawl.max_page_bytes,
            max_redirects=crawl.max_redirects,
            retries=crawl.retries,
            concurrency=crawl.concurrency,
        )
    except ValueError as exc:
        raise ConfigError(f"crawl: {exc}") from None
    guard = AddressGuard(allow_private=crawl.allow_private_addresses)
    transport = GuardedTransport(guard, deadline=settings.timeout)
    return Fetcher(settings, guard=guard, transport=transport)


class _Run:
    """State shared by the sources of one crawl: store, index writer, tagger, settings."""

    def __init__(self, parts: CrawlParts, fetcher: Fetcher) -> None:
        self.catalog, self.clock, self.publish = parts.catalog, parts.clock, parts.publish
        self.fetcher = fetcher
        self.settings = parts.config.settings
        self.store = CrawlStore(parts.log)
        self.store.ensure_schema()
        self.detector = text_detector(parts.detector)
        self.fingerprinter = parts.fingerprinter()
        self.writer = IndexWriter(parts.index(), self.store.mark_written, self._index_failed)
        self.page_errors: list[str] = []
        self.released: set[str] = set()
        self.refresh: set[str] = set()
        self.aiid_incidents = {
            number: incident.id
            for profile in parts.catalog
            for incident in profile.incidents
            for number in incident.aiid
        }

    def __enter__(self) -> _Run:
        # chunks of pages dropped by a crawl that stopped before deleting them
        for url in self.store.undeleted():
            self.writer.delete(url)
        return self

    def __exit__(self, *exc: object) -> None:
        self.writer.close()

    def source(
        self, spec: SourceSettings, source: Source, progress: Progress | None, *, force: bool
    ) -> SourceResult:
        """Run one source unless it is in failure backoff (or `force`); record its health and
        state."""
        row = self.store.source(spec.name, spec.kind)
        result = SourceResult(name=spec.name, kind=spec.kind)
        now = self.clock()
        waiting = utc(row.next_run_after)
        if not force and waiting is not None and waiting > now and row.consecutive_failures:
            result.status = "backoff"
            result.consecutive_failures = row.consecutive_failures
            result.next_run_after = waiting
            result.error = (
                f"source {spec.name!r} skipped: in backoff until {waiting.isoformat()} after "
                f"{row.consecutive_failures} consecutive failures (last: {row.last_error})"
            )
            return result
        state = dict(row.state or {})
        candidates, error = _gather(source, self.fetcher, state)
        result.limits = list(source.limits)
        gathered = len(candidates)
        candidates += self._retries(spec.name)
        failed, outcomes = self._pages(candidates, gathered, result, progress)
        # Retries of earlier failures alone do not make a healthy source failed.
        if error is None and failed and outcomes == failed:
            error = f"every one of its {failed} pages failed"
        self.writer.drain()
        row.kind, row.state, row.last_run = spec.kind, state, now
        if error is None:
            row.last_success, row.last_error = now, None
            row.consecutive_failures, row.next_run_after = 0, None
        else:
            error = error.removeprefix(f"{source.kind} source {spec.name!r}: ")
            result.status = "failed"
            result.error = f"source {spec.name!r}: {error}"
            row.last_error = error
            if not force:
                row.consecutive_failures += 1
                factor = min(2 ** (row.consecutive_failures - 1), BACKOFF_MAX_FACTOR)
                row.next_run_after = now + self.settings.crawl.failure_backoff * factor
            result.next_run_after = row.next_run_after
        result.consecutive_failures = row.consecutive_failures
        self.store.save_source(row)
        if error is not None:
            self.publish(SourceFailed(spec.name, spec.kind, error, row.consecutive_failures,
                                      result.next_run_after))  # fmt: skip
        return result

    def _retries(self, source: str) -> list[Candidate]:
        """Pages of this source that failed on an earlier run and are worth another try,
        and pages an earlier run saved for indexing but stopped before confirming.

        By canonical URL: `url` may be where the page once redirected to.
        """
        pages = self.store.failing(source, RETRY_FAILED_RUNS) + self.store.pending(source)
        return [Candidate(url=p.canonical_url, source=source, title=p.title) for p in pages]

    def _pages(
        self,
        candidates: list[Candidate],
        gathered: int,
        result: SourceResult,
        progress: Progress | None,
    ) -> tuple[int, int]:
        """Handle every candidate; the first `gathered` came from the source itself.

        Returns (failed, outcomes) counted over the gathered candidates only.
        """
        by_key: dict[str, Candidate] = {}
        fresh: set[str] = set()
        failed = outcomes = 0
        for i, c in enumerate(candidates):
            try:
                key = canonicalize(c.url)
            except ValueError as exc:
                error = f"{c.url}: not a usable URL: {exc}"
                self._done(result, CrawlPageFailed(result.name, c.url, error))
                failed, outcomes = failed + (i < gathered), outcomes + (i < gathered)
                self.page_errors.append(error)
                continue
            by_key.setdefault(key, c)
            if i < gathered:
                fresh.add(key)
        stored = self.store.pages(by_key)
        # pages indexed before the known-coverage lookup existed are indexed afresh
        indexed = {p.id: k for k, p in stored.items() if p.status == PageStatus.INDEXED}
        known = self.store.known_pages(i for i in indexed if i is not None)
        self.refresh = {k for i, k in indexed.items() if i not in known}
        if progress:
            progress(CrawlProgress(result.name, 0, len(by_key)))
        ready: Iterator[tuple[str, FetchResult | None]] = (
            (k, None) for k, c in by_key.items() if c.text is not None
        )
        keys = {c.url: k for k, c in by_key.items() if c.text is None}
        requests = [_request(url, stored.get(k), k in self.refresh) for url, k in keys.items()]
        results = self.fetcher.fetch_all(requests, ordered=True, keep_body=False)
        fetched_pages = zip(keys.values(), results, strict=True)
        for done, (key, fetched) in enumerate(chain(ready, fetched_pages), 1):
            before = result.failed
            self._page(key, by_key[key], fetched, stored.get(key), result)
            if key in fresh:
                outcomes += 1
                failed += result.failed - before
            if progress:
                progress(CrawlProgress(result.name, done, len(by_key)))
        return failed, outcomes

    def _page(
        self,
        key: str,
        cand: Candidate,
        fetched: FetchResult | None,
        old: CrawlPage | None,
        result: SourceResult,
    ) -> None:
        page = old or CrawlPage(url=cand.url, canonical_url=key, source=cand.source)
        if page.duplicate_of is not None and page.duplicate_of in self.released:
            page.etag = page.last_modified = page.content_hash = None  # as release_copies did
        page.source, page.last_fetched = cand.source, self.clock()
        if fetched is not None:
            previous_status, page.http_status = page.http_status, fetched.http_status
            if fetched.status is FetchStatus.NOT_MODIFIED:
                page.failures, page.last_error = 0, None
                self._save(page)
                self._done(result, CrawlPageSkipped(result.name, key, "unchanged", fetched=False))
                return
            if not fetched.ok or not fetched.text:
                self._failed(page, fetched, previous_status, result)
                return
            page.url = fetched.final_url
            page.etag, page.last_modified = fetched.etag, fetched.last_modified
        page.failures, page.last_error = 0, None
        self._content(page, cand, fetched, old, result)

    def _failed(
        self,
        page: CrawlPage,
        fetched: FetchResult,
        previous_status: int | None,
        result: SourceResult,
    ) -> None:
        error = fetched.error or f"{fetched.url}: {fetched.status}"
        if not fetched.text and fetched.ok:
            error = f"{fetched.url}: no text in the {fetched.content_type or 'untyped'} body"
        not_found = fetched.status is FetchStatus.NOT_FOUND
        # `failures` counts consecutive failures; a 404 after anything but a 404 starts
        # a new run of them, so a page is gone only after GONE_AFTER_404 404s in a row.
        page.failures = 1 if not_found and previous_status != 404 else page.failures + 1
        page.last_error = error
        gone = fetched.status is FetchStatus.GONE or (not_found and page.failures >= GONE_AFTER_404)
        if gone:
            self._release_copies(page)
            self._drop(page, PageStatus.GONE)
        else:
            if page.id is None:
                page.status = PageStatus.FAILED
            self.page_errors.append(error)
        self._save(page)
        self._done(result, CrawlPageFailed(result.name, page.canonical_url, error, gone=gone))

    def _content(
        self,
        page: CrawlPage,
        cand: Candidate,
        fetched: FetchResult | None,
        old: CrawlPage | None,
        result: SourceResult,
    ) -> None:
        """Extract, tag, dedupe and index a page whose text was fetched or given."""
        was_indexed = old is not None and old.status == PageStatus.INDEXED
        downloaded = fetched is not None
        min_chars = self.settings.crawl.min_chars
        if fetched is not None:
            doc = extract(
                fetched.text, fetched.final_url, content_type=fetched.content_type,
                min_chars=min_chars,
            )  # fmt: skip
            text, title, too_short = doc.text, doc.title or cand.title, doc.too_short
            published = doc.date or (cand.published.date() if cand.published else None)
        else:
            text, title = (cand.text or "").strip(), cand.title
            too_short = len(text) < min_chars
            published = cand.published.date() if cand.published else None
        digest = content_hash(text)
        refresh = page.canonical_url in self.refresh
        if (
            old is not None
            and old.content_hash == digest
            and old.status in _SETTLED
            and not refresh
        ):
            self._save(page)
            self._done(result, CrawlPageSkipped(result.name, page.canonical_url, "unchanged",
                                                fetched=downloaded))  # fmt: skip
            return
        if was_indexed:
            self._release_copies(page)
        extra: dict[str, Any] = _candidate_metadata(cand)
        if fetched is not None:
            for name in ("author", "site", "language"):
                value = getattr(doc, name)
                if value:
                    extra[name] = value
        page.content_hash, page.simhash = digest, to_signed(simhash(text))
        page.title = title
        page.published = published.isoformat() if published else None
        page.duplicate_of = None
        if too_short:
            self._skip(page, result, "too_short", downloaded)
            return
        tags = tag(self.detector, self.catalog, text)
        aiid = [
            found
            for number in extra.get("aiid_incidents", [])
            if (found := self.aiid_incidents.get(int(number)))
        ]
        incidents = list(dict.fromkeys([*tags.incidents, *aiid]))
        page.agents, page.incidents = join_list(tags.agents), join_list(incidents)
        page.personas, page.category = join_list(tags.personas), tags.category
        if not tags.agents:
            self._skip(page, result, "about_no_agent", downloaded)
            return
        with self.store.session() as s:
            copy = self.store.find_copy(s, page, MAX_DISTANCE)
            if copy is not None:
                self._drop(page, PageStatus.DUPLICATE)
                page.duplicate_of = copy.canonical_url
                self.store.save_page(s, page)
        if copy is not None:
            self._done(result, CrawlPageSkipped(result.name, page.canonical_url, "duplicate",
                                                fetched=downloaded))  # fmt: skip
            return
        chunks, known, capped = self._chunks(page, text, cand, extra, tags, aiid)
        if not chunks:  # no chunk is about the agents after all
            page.agents = page.incidents = page.personas = ""
            page.category = NEUTRAL
            self._skip(page, result, "about_no_agent", downloaded)
            return
        if capped:
            result.over_cap += 1
            result.chunks_over_cap += capped
        replaces = page.id is not None
        # indexed once the writer confirms the chunks (`CrawlStore.mark_written`)
        page.status, page.chunk_count = PageStatus.PENDING, len(chunks)
        with self.store.session() as s:
            self.store.save_page(s, page, known)
        self.writer.add(page.canonical_url, chunks, replaces)
        outcome = "updated" if was_indexed else "new"
        self._done(result, CrawlPageIndexed(result.name, page.canonical_url, outcome,
                                            len(chunks), fetched=downloaded))  # fmt: skip

    def _skip(self, page: CrawlPage, result: SourceResult, reason: str, fetched: bool) -> None:
        """A page not indexed: too short, or about no tracked agent."""
        self._drop(page, PageStatus.TOO_SHORT if reason == "too_short" else PageStatus.SKIPPED)
        self._save(page)
        skipped = CrawlPageSkipped(result.name, page.canonical_url, "skipped", fetched, reason)
        self._done(result, skipped)

    def _done(self, result: SourceResult, page: CrawlPageEvent) -> None:
        """A page's one outcome, saved: counted in the report and published."""
        result.count(page)
        self.publish(page)

    def _chunks(
        self,
        page: CrawlPage,
        text: str,
        cand: Candidate,
        extra: dict[str, Any],
        tags: Tags,
        aiid: list[str],
    ) -> tuple[list[ChunkRecord], KnownRecord, int]:
        """The chunks about the page's agents (at most `max_chunks`), each with its own tags
        and its passages; what the known-coverage lookup keeps; how many were over the cap."""
        index = self.settings.index
        pieces = split_text(text, chunk_size=index.chunk_size, overlap=index.chunk_overlap)
        spans = _spans(text, pieces)
        per_chunk = tag_chunks(self.detector, self.catalog, text, spans, tags, incidents=aiid)
        about = [i for i, found in enumerate(per_chunk) if found]
        limit = self.settings.crawl.max_chunks
        chosen, capped = about[:limit], len(about) - min(len(about), limit)
        meta: dict[str, Any] = {
            **extra,
            "document_id": page.canonical_url,
            "url": page.url,
            "title": page.title or "",
            "published": page.published,
            "source": CRAWL_SOURCE,
            "crawl_source": cand.source,
        }
        records: list[ChunkRecord] = []
        passages: list[PassageTags] = []
        for i in chosen:
            found = per_chunk[i]
            passages += found
            chunk_meta = {
                **meta,
                "chunk": i,
                "scale": "page",
                "agents": list(dict.fromkeys(t.agent for t in found)),
                "incidents": list(dict.fromkeys(x for t in found for x in t.incidents)),
                "personas": list(dict.fromkeys(x for t in found for x in t.personas)),
                "category": min((t.category for t in found), key=CATEGORIES.index),
            }
            cid = chunk_id(page.canonical_url, i)
            records.append(ChunkRecord(cid, pieces[i], chunk_meta))
            size = index.passage_size
            if size and len(pieces[i]) > size * 3 // 2:
                parts = split_text(pieces[i], chunk_size=size, overlap=size // 5)
                records += [
                    ChunkRecord(f"{cid}.{j}", part, {**chunk_meta, "scale": "passage",
                                                      "passage": j})
                    for j, part in enumerate(parts)
                ]  # fmt: skip
        hashes, passage_of = self._fingerprints(text, [spans[i] for i in chosen], chosen)
        urls = []
        try:
            final = canonicalize(page.url)
            if final != page.canonical_url:
                urls.append(final)
        except ValueError:
            pass
        known = KnownRecord(passages=passages, hashes=hashes, passage_of=passage_of, urls=urls)
        return records, known, capped

    def _fingerprints(
        self, text: str, spans: list[tuple[int, int]], chunks: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fingerprints of the chosen chunks, over each run of overlapping chunks at once,
        each assigned to the first chosen chunk that holds it."""
        hashes: list[np.ndarray] = []
        owners: list[np.ndarray] = []
        starts = np.array([lo for lo, _ in spans], dtype=np.int64)
        for lo, hi in _runs(spans):
            found, offsets = self.fingerprinter.page(text[lo:hi])
            owner = np.searchsorted(starts, lo + offsets, side="right") - 1
            hashes.append(found)
            owners.append(np.asarray(chunks, dtype=np.int64)[np.clip(owner, 0, len(chunks) - 1)])
        if not hashes:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        return np.concatenate(hashes), np.concatenate(owners)

    def _drop(self, page: CrawlPage, status: str) -> None:
        """Give the page `status` and queue its chunks, if any, for deletion.

        A failed or pending page may hold chunks whose earlier delete or upsert did not go
        through. `chunk_count` stays until the writer confirms the deletion.
        """
        holds = page.chunk_count or page.status in (PageStatus.FAILED, PageStatus.PENDING)
        if page.id is not None and holds:
            self.writer.delete(page.canonical_url)
            page.chunk_count = max(page.chunk_count, 1)
        else:
            page.chunk_count = 0
        page.status = status

    def _release_copies(self, page: CrawlPage) -> None:
        """An indexed page changes or goes: its duplicates are fetched and judged afresh."""
        if page.status == PageStatus.INDEXED:
            self.store.release_copies(page.canonical_url)
            self.released.add(page.canonical_url)

    def _save(self, page: CrawlPage) -> None:
        with self.store.session() as s:
            self.store.save_page(s, page)

    def _index_failed(self, pages: list[str], error: str) -> None:
        """Pages whose chunks never reached the index are fetched afresh next run."""
        self.store.mark_unindexed(pages, error)


def _gather(
    source: Source, fetcher: Fetcher, state: dict[str, Any]
) -> tuple[list[Candidate], str | None]:
    """Every candidate the source yields, and its error if it failed part-way."""
    out: list[Candidate] = []
    source.limits.clear()
    try:
        out.extend(source.candidates(fetcher, state))
    except Exception as exc:  # a source's failure, whatever its kind, must not stop the crawl
        return out, str(exc) or type(exc).__name__
    return out, None


def _candidate_metadata(cand: Candidate) -> dict[str, Any]:
    """A candidate's flat metadata as Chroma can hold it: scalars, lists of strings."""
    out: dict[str, Any] = {}
    for key, value in cand.metadata.items():
        name = _META_NAMES.get(key, key)
        if key in _META_SKIP or name in _CORE_META:
            continue
        if isinstance(value, bool | int | str) or (
            isinstance(value, float) and math.isfinite(value)
        ):
            if not isinstance(value, str) or 0 < len(value) <= _META_MAX_CHARS:
                out[name] = value
        elif isinstance(value, list | tuple):
            items = [str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]
            if items and len(items) == len(value):
                out[name] = items
    return out


def _spans(text: str, pieces: list[str]) -> list[tuple[int, int]]:
    """Where each chunk lies in the text (chunks are stripped substrings, in order)."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for piece in pieces:
        start = text.find(piece, cursor)
        if start < 0:  # not expected; keep the order and a plausible place
            start = min(cursor, max(0, len(text) - len(piece)))
        out.append((start, start + len(piece)))
        cursor = start + 1
    return out


def _runs(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans merged where they overlap or touch."""
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _request(url: str, old: CrawlPage | None, refresh: bool = False) -> FetchRequest:
    """A conditional request when the page was read and settled before (not failed or gone)
    and needs no fresh indexing."""
    if old is None or old.status not in _SETTLED or refresh:
        return FetchRequest(url)
    return FetchRequest(url, etag=old.etag, last_modified=old.last_modified)
