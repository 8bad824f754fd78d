"""`Tracker`: the library every face (CLI, HTTP API, LangChain, daemon) calls."""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from selfref.audit_writer import write_checked
from selfref.bus import EventBus
from selfref.catalog import Catalog, Profile, load_builtin
from selfref.config import Config, load_config
from selfref.documents import CheckDocument, to_documents
from selfref.errors import ConfigError, IndexUnavailableError, StorageError
from selfref.events import INDEX, RetrievalChecked, RetrievalFlagged
from selfref.index.embedder import EmbedderError, embedder_id, embedder_names, load_embedder
from selfref.indexing import CatalogIndexing, exclusive
from selfref.levels import Evidence, Level, Verdict
from selfref.logsafe import protect_logs

# Everything below loads on first use: `selfref agents list` needs none of it.
if TYPE_CHECKING:
    from selfref.alerting import ChannelSpec
    from selfref.alerts import DeliveryResult
    from selfref.audit import AuditLog
    from selfref.audit_query import AuditRow
    from selfref.bus import Transaction
    from selfref.crawl import CrawlReport, Progress
    from selfref.crosslingual import CatalogSimilarity
    from selfref.dblock import DatabaseLock
    from selfref.detect import Detector
    from selfref.events import AlertQueued
    from selfref.index import Embedder, Hit, VectorIndex
    from selfref.known import KnownCoverage, KnownMatch
    from selfref.metrics import Metrics
    from selfref.outbox.delivery import DeliveryReport
    from selfref.outbox.enqueue import Enqueuer
    from selfref.outbox.schema import AlertRecord

Clock = Callable[[], dt.datetime]
log = logging.getLogger("selfref.tracker")

DEGRADED_NOTE = {
    INDEX: "corpus similarity skipped: the vector index was unreachable; this verdict rests "
    "on the signals that need no index",
}
"""Per part that can fail without failing a check: the note its verdicts' evidence carries."""

# The parts that failed during the check running in this context (see Tracker.check).
_degraded: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "selfref_degraded", default=None
)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(slots=True)
class CheckResult:
    """Verdicts for one retrieval, in input order, and the audit event that recorded it."""

    agent: str
    verdicts: list[Verdict]
    event_id: str | None = None
    documents: list[CheckDocument] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    """Parts that were unreachable (`"index"`): the verdicts were given without them."""

    @property
    def max_level(self) -> Level:
        return max((v.level for v in self.verdicts), default=Level.NONE)

    @property
    def flagged(self) -> bool:
        return self.max_level.flagged

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "agent": self.agent,
            "verdicts": [{**v.to_dict(), "event_id": self.event_id} for v in self.verdicts],
            "degraded": list(self.degraded),
        }


class Tracker:
    """Checks retrievals against the catalog and corpus, and keeps the audit log."""

    def __init__(
        self,
        config: Config,
        *,
        embedder: Embedder | None = None,
        clock: Clock = utc_now,
    ) -> None:
        protect_logs()  # no request URL's token or credentials in anyone's logs
        self.config = config
        self.clock = clock
        self.catalog = _catalog(config)
        self._embedder = embedder
        self._audit_log: AuditLog | None = None
        self._detector: Detector | None = None
        self._index: VectorIndex | None = None
        self._known: KnownCoverage | None = None
        self._metrics: Metrics | None = None
        self._lock = threading.RLock()
        self._index_lock = threading.Lock()  # apart: indexing holds it for a while
        self.indexing = CatalogIndexing()
        """Where the catalog's indexing stands (what readiness reports)."""
        _check_detect_settings(config)  # an unknown or uncalibrated embedder fails at once
        if config.settings.sources:
            from selfref.sources import check_sources

            check_sources(config)  # a bad kind or option fails at once, not at its first run
        self.events = EventBus(lambda: self.audit_log.transaction())
        """What happens in this tracker (`selfref.events`), for subscribers (`selfref.bus`)."""
        self.events.before_commit(RetrievalChecked, write_checked)
        alerts = config.settings.alerts
        if alerts.webhooks or alerts.email is not None or alerts.channels:
            from selfref.alerting import channel_specs, validate_channels

            specs = channel_specs(config)
            validate_channels(specs)  # a bad channel fails at once
            if specs:  # after the audit writer: its rows refer to the event
                self.events.before_commit(RetrievalChecked, _Outbox(config, specs))

    @property
    def audit_log(self) -> AuditLog:
        """The audit database, opened on first use."""
        with self._lock:
            if self._audit_log is None:
                from selfref.audit import AuditLog

                self._audit_log = AuditLog(
                    self.config.database_url,
                    busy_timeout=self.config.settings.storage.busy_timeout.total_seconds(),
                    auto_migrate=self.config.settings.storage.auto_migrate,
                )
            return self._audit_log

    @property
    def metrics(self) -> Metrics:
        """This tracker's Prometheus metrics (`GET /metrics`), counting its events from
        first use on (the API and the daemon ask for them when they start)."""
        with self._lock:
            if self._metrics is None:
                from selfref.metrics import Metrics

                self._metrics = Metrics(self.audit_log)
                self._metrics.subscribe(self.events)
            return self._metrics

    @property
    def detector(self) -> Detector:
        """The detector, built on first use (its term automaton takes a moment)."""
        with self._lock:
            if self._detector is None:
                from selfref.detect import Detector, load_vocabulary

                detect = self.config.settings.detect
                self._detector = Detector(
                    self.catalog,
                    similarity=_LazySimilarity(self),
                    crosslingual=_crosslingual(self.catalog, self.config),
                    vocabulary=load_vocabulary().extended(detect.vocabulary),
                    thresholds=detect.thresholds,
                    context_window=detect.context_window,
                )
            return self._detector

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None, **kwargs: Any) -> Tracker:
        """Build a tracker from `selfref.toml` (see `load_config` for the lookup order)."""
        return cls(load_config(path), **kwargs)

    # -- agents -----------------------------------------------------------------------

    def agents(self) -> list[Profile]:
        return list(self.catalog)

    def agent(self, agent: str) -> Profile:
        return self.catalog.get(agent)

    # -- check ------------------------------------------------------------------------

    def check(
        self,
        agent: str,
        documents: Iterable[Any],
        *,
        query: str | None = None,
        session: str | None = None,
        record: bool = True,
    ) -> CheckResult:
        """Verdicts for the documents `agent` retrieved; records the event unless record=False.
        No documents is no retrieval: nothing is checked or recorded (`event_id` None).
        Publishes RetrievalChecked (and RetrievalFlagged when warn or above is found)."""
        started = time.perf_counter()
        docs = to_documents(documents)
        if not docs:
            self.catalog.get(agent)  # an unknown agent is still an error
            self._publish_check(agent, [], [], started, query=query, session=session,
                                record=False)  # fmt: skip
            return CheckResult(agent=agent, verdicts=[])
        failed: set[str] = set()
        token = _degraded.set(failed)
        try:
            verdicts = self.detector.check(
                agent,
                [d.text for d in docs],
                known=self._known_matches(agent, docs),
                titles=[d.title for d in docs],
            )
        finally:
            _degraded.reset(token)
        for doc, verdict in zip(docs, verdicts, strict=True):
            verdict.doc_id = doc.id
            verdict.evidence.extend(
                Evidence(kind="degraded", term=part, note=DEGRADED_NOTE[part])
                for part in sorted(failed)
            )
        checked = self._publish_check(
            agent, docs, verdicts, started, query=query, session=session, record=record,
            degraded=sorted(failed),
        )  # fmt: skip
        return CheckResult(
            agent=agent,
            verdicts=verdicts,
            event_id=checked.event_id,
            documents=docs,
            degraded=sorted(failed),
        )

    def _publish_check(
        self,
        agent: str,
        docs: Sequence[CheckDocument],
        verdicts: Sequence[Verdict],
        started: float,
        *,
        query: str | None,
        session: str | None,
        record: bool,
        degraded: Sequence[str] = (),
    ) -> RetrievalChecked:
        """Publish the check: recorded (audit writer, outbox) in one transaction, then
        counted and logged."""
        event_id = None
        if record:
            from selfref.audit import new_event_id

            event_id = new_event_id()
        checked = RetrievalChecked(
            agent=agent,
            documents=tuple(docs),
            verdicts=tuple(verdicts),
            created_at=self.clock(),
            seconds=time.perf_counter() - started,
            event_id=event_id,
            query=query,
            session=session,
            degraded=tuple(degraded),
        )
        flagged = RetrievalFlagged.of(checked)
        self.events.publish(checked, *([flagged] if flagged else []))
        return checked

    def _known_matches(
        self, agent: str, docs: Sequence[CheckDocument]
    ) -> Sequence[KnownMatch | None] | None:
        """Crawled coverage each document links (by URL) or repeats (by passage): a floor
        under its verdict. The passage-scale similarity match needs no extra lookup: the
        detector's corpus similarity already searches the crawled passages."""
        try:
            if not docs or not self.known.has_coverage():
                return None
            return self.known.lookup(agent, docs, semantic=False)
        except StorageError as exc:  # the verdict stands on the other signals
            log.warning("known coverage unavailable, checking without it: %s", exc)
            return None

    # -- audit ------------------------------------------------------------------------

    def audit(
        self,
        *,
        agent: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        level: Level | str | None = None,
        session: str | None = None,
        event: str | None = None,
        limit: int | None = 1000,
    ) -> list[AuditRow]:
        """Recorded retrieved documents matching the filters, newest first. A SQLite home's
        database at the schema's head is read without SQLAlchemy (`selfref.audit_sqlite`)."""
        from selfref.audit_query import AuditFilter
        from selfref.audit_sqlite import read_rows

        if agent is not None:
            self.catalog.get(agent)
        where = AuditFilter(
            agent=agent,
            since=since,
            until=until,
            level=Level.parse(level) if level is not None else None,
            session=session,
            event=event,
        )
        storage = self.config.settings.storage
        rows = read_rows(
            self.config.database_url,
            where,
            limit=limit,
            busy_timeout=storage.busy_timeout.total_seconds(),
        )
        return self.audit_log.rows(where, limit=limit) if rows is None else rows

    def expire_audit(self, *, now: dt.datetime | None = None) -> int:
        """Delete the events older than `[audit] retention` (none when it is unset), in
        bounded batches; returns how many were deleted."""
        settings = self.config.settings.audit
        if settings.retention is None:
            return 0
        from selfref.retention import expire

        cutoff = (now or self.clock()) - settings.retention
        return expire(self.audit_log, cutoff, batch=settings.retention_batch)

    # -- corpus -----------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            settings = self.config.settings.index
            try:
                options = dict(settings.embedder_options)
                if settings.embedder == "minilm":
                    options.setdefault("batch_size", settings.batch_size)
                self._embedder = load_embedder(settings.embedder, options)
            except EmbedderError as exc:
                raise ConfigError(f"index.embedder: {exc}") from None
        return self._embedder

    @property
    def index(self) -> VectorIndex:
        """The vector index, opened (and seeded with the catalog) on first use."""
        with self._index_lock:
            if self._index is None:
                self._index = self._open_index()
            return self._index

    def _open_index(self) -> VectorIndex:
        """Open the collection and add the catalog's missing lines, one process per home
        at a time (a second waits, then finds them there); `indexing` follows along."""
        from selfref.corpus import seed_catalog
        from selfref.index import VectorIndex, VectorIndexError

        storage = self.config.settings.storage
        state = self.indexing
        state.update("indexing")
        try:
            index = VectorIndex.open(
                self.embedder,
                path=None if storage.chroma_url else self.config.chroma_path,
                url=storage.chroma_url,
                collection=self.config.settings.index.collection,
            )
            with exclusive(self.config.home / "locks" / "catalog-index.lock", "indexing"):
                seed_catalog(
                    index, self.catalog, lambda done, total: state.update(done=done, total=total)
                )
        except VectorIndexError as exc:
            state.update("failed", error=str(exc))
            raise IndexUnavailableError(str(exc)) from None
        except BaseException as exc:
            state.update("failed", error=str(exc) or type(exc).__name__)
            raise
        state.update("ready")
        return index

    @property
    def opened_index(self) -> VectorIndex | None:
        """The index if a check, search or crawl has opened it, else None (never opens it)."""
        return self._index

    @property
    def known(self) -> KnownCoverage:
        """Crawled coverage by URL, passage and passage-scale similarity (`selfref.known`),
        over the audit database; the index is opened only when a lookup needs it."""
        with self._lock:
            if self._known is None:
                from selfref.known import KnownCoverage

                self._known = KnownCoverage(self.audit_log, self.catalog, index=lambda: self.index)
            return self._known

    def known_coverage(
        self, agent: str, documents: Iterable[Any], *, semantic: bool = True
    ) -> list[KnownMatch | None]:
        """Per document, the crawled coverage of `agent` it points at or repeats, or None."""
        return self.known.lookup(agent, to_documents(documents), semantic=semantic)

    def search(
        self, text: str, *, agent: str | None = None, k: int = 5, include_catalog: bool = False
    ) -> list[Hit]:
        """One hit per document (its best chunk), nearest to `text` first: the `k` nearest
        crawled pages (about `agent` when given), then, with `include_catalog`, the `k`
        nearest catalog documents (the catalog's own lines about an incident or agent)."""
        from selfref.corpus import search as search_corpus
        from selfref.index import VectorIndexError

        if agent is not None:
            self.catalog.get(agent)
        try:
            return search_corpus(
                self.index,
                text,
                agent=agent,
                k=k,
                include_catalog=include_catalog,
                indexed=self.known.indexed,
            )
        except VectorIndexError as exc:
            raise IndexUnavailableError(str(exc)) from None

    def crawl(
        self,
        sources: Sequence[str] | None = None,
        progress: Progress | None = None,
        *,
        force: bool = False,
    ) -> CrawlReport:
        """One pass over the configured sources (all enabled ones unless named); `force`
        runs sources in failure backoff too, without changing their backoff."""
        from selfref.crawl import CrawlParts, run_crawl  # the crawl stack is heavy: first use
        from selfref.dblock import DatabaseLock

        parts = CrawlParts(
            config=self.config,
            catalog=self.catalog,
            log=self.audit_log,
            detector=self.detector,
            clock=self.clock,
            publish=self.events.publish,
            index=lambda: self.index,
            fingerprinter=lambda: self.known.fingerprinter,
        )
        # One crawl at a time per database, across processes: two crawls writing the same
        # pages would collide on their unique URLs and leave partial rows.
        lock = DatabaseLock(self.audit_log.url, "crawl")
        try:
            if not lock.try_acquire():
                log.info("another crawl is running on this database; waiting for it to end")
                lock.acquire()
            return run_crawl(parts, list(sources) if sources else None, progress, force=force)
        finally:
            lock.close()

    def scheduler_lock(self) -> DatabaseLock:
        """The lock whose holder is this database's one scheduler (see selfref.roles)."""
        from selfref.dblock import DatabaseLock

        return DatabaseLock(self.audit_log.url, "scheduler")

    # -- alerts -----------------------------------------------------------------------

    def deliver_alerts(self, *, now: dt.datetime | None = None) -> DeliveryReport:
        """Send the alerts that are due through their channels (`selfref alerts deliver`)."""
        from selfref.alerting import channel_specs
        from selfref.outbox.delivery import deliver_due

        clock: Clock = self.clock if now is None else (lambda: now)
        return deliver_due(self.audit_log, channel_specs(self.config), clock, self.events.publish)

    def alerts(self, *, status: str | None = None, limit: int | None = 100) -> list[AlertRecord]:
        """Outbox rows, newest first (`selfref alerts list`)."""
        from selfref.outbox.schema import list_alerts

        return list_alerts(self.audit_log, status=status, limit=limit, now=self.clock())

    def test_alert(self, channel: str) -> DeliveryResult:
        """Send a clearly marked test alert through `channel` right away."""
        from selfref.alerting import channel_specs
        from selfref.outbox.delivery import send_test_alert

        specs = channel_specs(self.config)
        base_url = self.config.settings.api.base_url
        return send_test_alert(specs, channel, base_url=base_url, now=self.clock())

    def close(self) -> None:
        if self._audit_log is not None:
            self._audit_log.dispose()


class _Outbox:
    """The outbox's subscriber (`selfref.outbox.enqueue`), built at the first recorded
    check: it loads the database models, which `agents list` and `audit` never need."""

    def __init__(self, config: Config, specs: list[ChannelSpec]) -> None:
        self._config = config
        self._specs = specs
        self._enqueue: Enqueuer | None = None

    def __call__(self, checked: RetrievalChecked, tx: Transaction) -> list[AlertQueued]:
        if self._enqueue is None:
            from selfref.outbox.enqueue import enqueuer

            self._enqueue = enqueuer(self._config, self._specs)
        return self._enqueue(checked, tx)


class _LazySimilarity:
    """Opens the index only when a document first needs signal 4."""

    def __init__(self, tracker: Tracker) -> None:
        self._tracker = tracker

    @property
    def embedder_id(self) -> str:
        return self._tracker.embedder.id

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Any]:
        """The nearest coverage per text; None for each when the index is unreachable: the
        check goes on without signal 4 and says so (`CheckResult.degraded`)."""
        from selfref.corpus import CorpusSimilarity
        from selfref.index import VectorIndexError

        tracker = self._tracker
        try:
            return CorpusSimilarity(tracker.index, indexed=tracker.known.indexed).nearest(
                agent, texts
            )
        except (VectorIndexError, IndexUnavailableError) as exc:
            failed = _degraded.get()
            if failed is None:  # not inside Tracker.check: nobody to tell
                raise IndexUnavailableError(str(exc)) from None
            log.warning("vector index unreachable, checking without it: %s", _one_line(exc))
            failed.add(INDEX)
            return [None] * len(texts)


def _crosslingual(catalog: Catalog, config: Config) -> CatalogSimilarity | None:
    """Similarity for text in other languages, unless turned off or the index's embedder is
    that same embedder (then it already reads those languages)."""
    spec = config.settings.detect.crosslingual
    if not spec or spec == config.settings.index.embedder:
        return None
    from selfref.crosslingual import CatalogSimilarity, load_crosslingual

    return CatalogSimilarity(
        catalog, functools.partial(load_crosslingual, spec), cache_dir=config.home / "cache"
    )


def _check_detect_settings(config: Config) -> None:
    """Refuse an unknown cross-lingual embedder, and an index embedder with no calibration
    and no complete [detect.thresholds], when the config is loaded."""
    spec = config.settings.detect.crosslingual
    if spec and spec != config.settings.index.embedder and spec not in embedder_names():
        raise ConfigError(
            f"[detect] crosslingual: unknown embedder {spec!r}; "
            f'one of {", ".join(embedder_names())}, or "" for none'
        )
    detect, index = config.settings.detect, config.settings.index
    if not detect.thresholds and index.embedder == "minilm" and not index.embedder_options:
        return  # the default is calibrated (tests/tracker/test_cli_startup.py): no detector import
    expected = _expected_embedder_id(config)
    if expected is not None:
        from selfref.detect import load_calibration

        load_calibration(expected, config.settings.detect.thresholds)


def _expected_embedder_id(config: Config) -> str | None:
    """The id the configured embedder will report, when known without loading it."""
    settings = config.settings.index
    return embedder_id(settings.embedder, settings.embedder_options)


def _catalog(config: Config) -> Catalog:
    overrides = [a.overrides() for a in config.settings.agents]
    return load_builtin().merged(overrides)


def _one_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
