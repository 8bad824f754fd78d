"""`selfref daemon`: one scheduler for the periodic jobs plus the HTTP API, in one process;
`selfref serve`: the HTTP API alone (no scheduler: stateless, any number of replicas).

    from selfref.daemon import run_daemon, run_serve
    run_daemon(Tracker.from_config())            # host/port from [api]

Jobs (crawl, alert delivery) are registered through `Daemon.add_interval_job` /
`Daemon.add_cron_job`; each runs at most one instance at a time, missed runs coalesce
into one, and an exception in a job is logged without stopping the daemon.

At scale there are any number of API replicas but exactly one scheduler process per
database: a daemon runs its jobs only while it holds the database's scheduler lock
(`selfref.roles`); a second daemon serves the API as a standby and takes over when the
holder dies.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from selfref import eventlog
from selfref.api import create_app
from selfref.config import SourceSettings
from selfref.core import Tracker
from selfref.errors import ConfigError, SchemaOutdatedError, SelfrefError, StorageError
from selfref.logsafe import protect_logs
from selfref.retention import RETENTION_EVERY
from selfref.roles import API_ONLY, Role, SchedulerRole
from selfref.serving import server_config

__all__ = ["Daemon", "check_bind", "is_loopback", "run_daemon", "run_serve", "schedule_jobs"]

log = logging.getLogger("selfref.daemon")

JobFunc = Callable[[], Any]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; anything else may be reachable from outside."""
    name = host.strip().strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


MIN_TOKEN_CHARS = 32


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without an API token of at least MIN_TOKEN_CHARS
    characters (ConfigError says how to fix)."""
    if is_loopback(host):
        return
    if not token:
        raise ConfigError(
            f"api.host: refusing to listen on {host!r} without an API token; set [api] token "
            "in selfref.toml or SELFREF_API_TOKEN, or listen on 127.0.0.1"
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(
            f"api.token: refusing to listen on {host!r} with a token of {len(token)} "
            f"characters: use at least {MIN_TOKEN_CHARS} (for instance the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or listen on "
            "127.0.0.1"
        )


class Daemon:
    """The scheduler and the HTTP API of one selfref process."""

    def __init__(self, tracker: Tracker, *, max_workers: int = 4) -> None:
        self.tracker = tracker
        # In-memory job store on purpose: APScheduler 3 job stores must never be shared
        # between scheduler processes (each would run every job). Jobs are registered in
        # code at start-up, so nothing needs to persist; run exactly one daemon per
        # deployment and scale the API with stateless replicas instead.
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=dt.UTC,
        )
        self._server: uvicorn.Server | None = None
        self._stop = threading.Event()
        self.role: Role = API_ONLY

    # -- jobs -------------------------------------------------------------------------

    def add_interval_job(
        self, name: str, func: JobFunc, every: dt.timedelta, *, run_now: bool = False
    ) -> Job:
        """Run `func()` every `every` (first run after one interval, or at once if run_now)."""
        if every <= dt.timedelta(0):
            raise ConfigError(f"job {name!r}: interval must be positive, got {every}")
        trigger = IntervalTrigger(seconds=every.total_seconds(), timezone=dt.UTC)
        first = dt.datetime.now(dt.UTC) if run_now else None
        return self._add(name, func, trigger, next_run_time=first)

    def add_cron_job(self, name: str, func: JobFunc, cron: str) -> Job:
        """Run `func()` on a five-field crontab schedule (`"0 */6 * * *"`), in UTC."""
        try:
            trigger = CronTrigger.from_crontab(cron, timezone=dt.UTC)
        except ValueError as exc:
            raise ConfigError(f"job {name!r}: invalid cron expression {cron!r}: {exc}") from None
        return self._add(name, func, trigger)

    def _add(self, name: str, func: JobFunc, trigger: Any, **kwargs: Any) -> Job:
        if self.scheduler.get_job(name) is not None:
            raise ConfigError(f"job {name!r} is already scheduled; job names must be unique")
        if "next_run_time" in kwargs and kwargs["next_run_time"] is None:
            del kwargs["next_run_time"]
        return self.scheduler.add_job(
            _guarded(name, func),
            trigger,
            id=name,
            name=name,
            max_instances=1,
            coalesce=True,
            **kwargs,
        )

    @property
    def jobs(self) -> list[Job]:
        return list(self.scheduler.get_jobs())

    def start(self) -> None:
        """Start the scheduler (in its own thread) and log what it will run."""
        if not self.scheduler.running:
            self.scheduler.start()
        else:
            self.scheduler.resume()
        jobs = self.jobs
        log.info("scheduler started with %d job(s)", len(jobs))
        for job in jobs:
            log.info("job %s: %s, next run %s", job.id, job.trigger, job.next_run_time)

    def pause(self) -> None:
        """Stop starting jobs (running ones finish): this process is no longer the scheduler."""
        if self.scheduler.running:
            self.scheduler.pause()
            log.info("scheduler paused")

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the scheduler; with wait, running jobs finish first."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
            log.info("scheduler stopped")

    # -- serving ----------------------------------------------------------------------

    def serve(self, host: str, port: int) -> None:
        """Run the scheduler (when it has jobs) and the HTTP API until SIGINT or SIGTERM,
        then stop both."""
        token = self.tracker.config.api_token
        check_bind(host, token)
        role: SchedulerRole | None = None
        if self.jobs:
            role = SchedulerRole(
                self.tracker.scheduler_lock(),
                on_gain=self.start,
                on_lose=self.pause,
                retry=self.tracker.config.settings.scheduler.lock_retry.total_seconds(),
            )
            self.role = role
        app = create_app(self.tracker, token=token, role=self.role)
        api = self.tracker.config.settings.api
        server = uvicorn.Server(server_config(app, host, port, api))
        self._server = server
        previous = self._install_signal_handlers()
        try:
            if role is not None:
                role.start()
            log.info(
                "selfref API and dashboard listening on http://%s:%d (%s)",
                f"[{host}]" if ":" in host else host,
                port,
                "bearer token required" if token else "no token: loopback only",
            )
            if not self._stop.is_set():
                try:
                    server.run()
                except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
                    if exc.code:
                        raise ConfigError(
                            f"api: could not start the HTTP server on {host}:{port} "
                            "(port in use?); see the log above"
                        ) from None
        finally:
            if role is not None:
                role.stop()
            self.shutdown(wait=True)
            self._restore_signal_handlers(previous)
            self._server = None
            log.info("selfref daemon stopped")

    def stop(self) -> None:
        """Ask a running `serve` to shut down (what SIGTERM does)."""
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        self.stop()

    def _install_signal_handlers(self) -> dict[int, Any]:
        # uvicorn captures SIGINT/SIGTERM while it runs and re-raises them afterwards to
        # whatever handler was installed before: ours, so the process exits 0 instead of
        # dying of the re-raised SIGTERM. Our handler also covers the start-up window.
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    @staticmethod
    def _restore_signal_handlers(previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _guarded(name: str, func: JobFunc) -> Callable[[], None]:
    """`func` with every exception logged, so a failing job never stops the scheduler."""

    @functools.wraps(func)
    def run() -> None:
        try:
            func()
        except SelfrefError as exc:  # expected (a database outage, a failing source): one line
            log.error("job %s failed: %s; it will run again at its next scheduled time", name, exc)
        except Exception:
            log.exception("job %s failed; it will run again at its next scheduled time", name)

    return run


DEFAULT_CRAWL_EVERY = dt.timedelta(hours=6)
DEFAULT_SOURCES_EVERY = dt.timedelta(hours=24)


def schedule_jobs(daemon: Daemon) -> None:
    """The daemon's own jobs: one crawl job per source, alert delivery, audit retention
    (when `[audit] retention` is set, hourly), index warm-up.

    Configured `[[sources]]` run on their `every` or `cron` (default 6h). With none
    configured, the catalog's default sources run once a day, first after a day, so a
    fresh install never reaches for the network at start-up.
    """
    tracker = daemon.tracker
    settings = tracker.config.settings
    for source in scheduled_sources(tracker):

        def crawl(name: str = source.name) -> None:
            report = tracker.crawl([name])
            log.info("crawl %s: %s", name, report.counts())

        job = f"crawl:{source.name}"
        if source.cron:
            daemon.add_cron_job(job, crawl, source.cron)
        else:
            every = source.every or (
                DEFAULT_CRAWL_EVERY if settings.sources else DEFAULT_SOURCES_EVERY
            )
            daemon.add_interval_job(job, crawl, every)
    if settings.alerts.webhooks or settings.alerts.email:

        def deliver() -> None:
            report = tracker.deliver_alerts()
            if report.sent or report.failed or report.dead or report.disabled:
                log.info("alerts: %s", report)

        daemon.add_interval_job("alerts:deliver", deliver, settings.alerts.deliver_every)
    if settings.audit.retention is not None:

        def expire() -> None:
            deleted = tracker.expire_audit()
            if deleted:
                log.info("audit retention: deleted %d event(s) older than %s", deleted,
                         settings.audit.retention)  # fmt: skip

        daemon.add_interval_job("audit:retention", expire, RETENTION_EVERY, run_now=True)
    daemon.add_interval_job(
        "index:warm-up", lambda: tracker.index, dt.timedelta(days=365), run_now=True
    )


def scheduled_sources(tracker: Tracker) -> list[SourceSettings]:
    """The enabled `[[sources]]`, or the catalog's default sources when none are configured."""
    from selfref.crawl import default_sources

    sources = tracker.config.settings.sources or default_sources(tracker.catalog)
    return [s for s in sources if s.enabled]


def worker_count(tracker: Tracker) -> int:
    """Scheduler threads: one per job (each source's crawl, alert delivery, retention,
    warm-up), so a slow source never holds up the alerts."""
    retention = tracker.config.settings.audit.retention is not None
    return len(scheduled_sources(tracker)) + 2 + retention


def run_daemon(tracker: Tracker, host: str | None = None, port: int | None = None) -> None:
    """Entry point of `selfref daemon`: scheduler + HTTP API until SIGINT/SIGTERM.

    `host` and `port` default to `[api] host` and `[api] port`. Raises ConfigError when
    asked to listen beyond loopback without an API token.
    """
    _run(tracker, host, port, jobs=True)


def run_serve(tracker: Tracker, host: str | None = None, port: int | None = None) -> None:
    """Entry point of `selfref serve`: the HTTP API and dashboard alone until SIGINT/SIGTERM
    (no crawls, no alert delivery; the index opens on the first check that needs it), so any
    number of replicas can run beside the one daemon. Same host, port and token rules."""
    _run(tracker, host, port, jobs=False)


def _run(tracker: Tracker, host: str | None, port: int | None, *, jobs: bool) -> None:
    settings = tracker.config.settings.api
    host = host or settings.host
    port = port if port is not None else settings.port
    check_bind(host, tracker.config.api_token)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    protect_logs()  # the handlers just made redact URLs too
    eventlog.subscribe(tracker.events)  # one line per flagged check, failed page, alert...
    try:  # a schema that is behind refuses the start (SchemaOutdatedError names the fix)
        tracker.audit_log.ensure_schema()
    except SchemaOutdatedError:
        raise
    except StorageError as exc:  # unreachable: serve anyway (503s, /readyz) and recover
        log.warning("audit database unavailable at start: %s", exc)
    daemon = Daemon(tracker, max_workers=worker_count(tracker))
    if jobs:
        schedule_jobs(daemon)
    daemon.serve(host, port)
