"""The daemon: scheduled jobs, failing jobs, the loopback rule, and one real server process."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from selfref import Tracker, index
from selfref.config import load_config
from selfref.daemon import (
    Daemon,
    check_bind,
    is_loopback,
    run_daemon,
    schedule_jobs,
    scheduled_sources,
    worker_count,
)
from selfref.errors import ConfigError, StorageError
from tests.loopback import free_port

FAST = dt.timedelta(seconds=0.05)
WAIT = 10.0  # generous upper bound; the events below normally fire within milliseconds


@pytest.fixture
def tracker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracker]:
    monkeypatch.setenv("SELFREF_HOME", str(tmp_path))
    monkeypatch.delenv("SELFREF_CONFIG", raising=False)
    monkeypatch.delenv("SELFREF_API_TOKEN", raising=False)
    t = Tracker(load_config())
    yield t
    t.close()


@pytest.fixture
def daemon(tracker: Tracker) -> Iterator[Daemon]:
    d = Daemon(tracker)
    yield d
    d.shutdown(wait=True)


class Counter:
    """Counts calls and sets `done` once `target` calls have happened."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.calls = 0
        self.lock = threading.Lock()
        self.done = threading.Event()

    def __call__(self) -> None:
        with self.lock:
            self.calls += 1
            if self.calls >= self.target:
                self.done.set()


# -- jobs -----------------------------------------------------------------------------


def test_interval_job_runs_repeatedly(daemon: Daemon) -> None:
    counter = Counter(target=3)
    job = daemon.add_interval_job("tick", counter, FAST)
    assert (job.id, job.name, job.max_instances, job.coalesce) == ("tick", "tick", 1, True)
    daemon.start()
    assert counter.done.wait(WAIT), f"only {counter.calls} runs"


def test_run_now_runs_at_once(daemon: Daemon) -> None:
    counter = Counter(target=1)
    daemon.add_interval_job("hourly", counter, dt.timedelta(hours=1), run_now=True)
    daemon.start()
    assert counter.done.wait(WAIT)


def test_failing_job_is_logged_and_runs_again(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    attempts = Counter(target=3)
    healthy = Counter(target=3)

    def flaky() -> None:
        attempts()
        raise RuntimeError("source unreachable")

    daemon.add_interval_job("flaky", flaky, FAST)
    daemon.add_interval_job("healthy", healthy, FAST)
    with caplog.at_level(logging.ERROR, logger="selfref.daemon"):
        daemon.start()
        assert attempts.done.wait(WAIT), f"flaky ran {attempts.calls} times"
        assert healthy.done.wait(WAIT), f"healthy ran {healthy.calls} times"
    assert daemon.scheduler.running
    assert daemon.scheduler.get_job("flaky") is not None
    failures = [r for r in caplog.records if "job flaky failed" in r.getMessage()]
    assert failures
    assert failures[0].exc_info is not None
    assert "source unreachable" in str(failures[0].exc_info[1])


def test_an_expected_job_failure_is_one_line_without_a_traceback(
    daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    failed = Counter(target=1)

    def database_down() -> None:
        failed()
        raise StorageError("cannot use the audit database: connection refused")

    daemon.add_interval_job("deliver", database_down, FAST)
    with caplog.at_level(logging.ERROR, logger="selfref.daemon"):
        daemon.start()
        assert failed.done.wait(WAIT)
        daemon.shutdown(wait=True)
    records = [r for r in caplog.records if "job deliver failed" in r.getMessage()]
    assert records
    for record in records:
        assert record.exc_info is None and "\n" not in record.getMessage()
        assert "connection refused" in record.getMessage()


def test_a_slow_job_never_overlaps_itself(daemon: Daemon) -> None:
    running = 0
    most = 0
    runs = Counter(target=3)
    lock = threading.Lock()
    skipped = threading.Event()

    class Skips(logging.Handler):
        """Notes APScheduler's "skipped: maximum number of running instances" warning."""

        def emit(self, record: logging.LogRecord) -> None:
            if "maximum number of running instances" in record.getMessage():
                skipped.set()

    def slow() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        # the job's own work lasts until a run came due meanwhile and was skipped
        assert skipped.wait(WAIT), "no run came due while the job was running"
        skipped.clear()
        with lock:
            running -= 1
        runs()

    scheduler_log = logging.getLogger("apscheduler")
    skips = Skips(logging.WARNING)
    scheduler_log.addHandler(skips)
    try:
        daemon.add_interval_job("slow", slow, FAST)
        daemon.start()
        assert runs.done.wait(WAIT)
    finally:
        scheduler_log.removeHandler(skips)
    assert most == 1


def test_cron_job_is_scheduled_in_utc(daemon: Daemon) -> None:
    job = daemon.add_cron_job("nightly", lambda: None, "30 3 * * *")
    daemon.start()
    assert job.next_run_time is not None
    next_run = job.next_run_time.astimezone(dt.UTC)
    assert (next_run.hour, next_run.minute) == (3, 30)
    assert (job.max_instances, job.coalesce) == (1, True)
    assert [j.id for j in daemon.jobs] == ["nightly"]


def test_bad_job_definitions_are_config_errors(daemon: Daemon) -> None:
    with pytest.raises(ConfigError, match="invalid cron expression '61 \\* \\* \\* \\*'"):
        daemon.add_cron_job("bad", lambda: None, "61 * * * *")
    with pytest.raises(ConfigError, match="interval must be positive"):
        daemon.add_interval_job("zero", lambda: None, dt.timedelta(0))
    daemon.add_interval_job("crawl", lambda: None, dt.timedelta(hours=6))
    with pytest.raises(ConfigError, match="'crawl' is already scheduled"):
        daemon.add_interval_job("crawl", lambda: None, dt.timedelta(hours=1))


def test_shutdown_waits_and_is_idempotent(daemon: Daemon) -> None:
    daemon.start()
    daemon.shutdown()
    assert not daemon.scheduler.running
    daemon.shutdown()


# -- binding --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "selfref.example.org"])
def test_non_loopback_without_token_is_refused(tracker: Tracker, host: str) -> None:
    with pytest.raises(ConfigError, match="without an API token") as info:
        run_daemon(tracker, host=host, port=1)
    assert "SELFREF_API_TOKEN" in str(info.value)
    with pytest.raises(ConfigError, match="without an API token"):
        Daemon(tracker).serve(host, 1)


def test_non_loopback_with_a_long_token_is_allowed() -> None:
    check_bind("0.0.0.0", "t" * 32)
    check_bind("127.0.0.1", None)
    check_bind("127.0.0.1", "x")


@pytest.mark.parametrize("token", ["x", "a-token", "t" * 31])
def test_non_loopback_with_a_short_token_is_refused(token: str) -> None:
    with pytest.raises(ConfigError, match=f"token of {len(token)} characters: use at least 32"):
        check_bind("0.0.0.0", token)


def test_configured_host_is_checked_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SELFREF_HOME", str(tmp_path))
    monkeypatch.delenv("SELFREF_API_TOKEN", raising=False)
    (tmp_path / "selfref.toml").write_text('[api]\nhost = "0.0.0.0"\n', "utf-8")
    tracker = Tracker(load_config())
    try:
        with pytest.raises(ConfigError, match=re.escape("'0.0.0.0'")):
            run_daemon(tracker)
    finally:
        tracker.close()


# -- a real daemon process ------------------------------------------------------------


@pytest.mark.server
def test_real_daemon_serves_checks_and_stops_cleanly_on_sigterm(
    tmp_path: Path, selfref_home: Path, seed_home_index: Callable[[], Path]
) -> None:
    port = free_port()
    home = selfref_home
    seed_home_index()  # the catalog is already embedded: the daemon comes up at once
    log_path = tmp_path / "daemon.log"
    env = {k: v for k, v in os.environ.items() if k not in ("SELFREF_CONFIG",)}
    env.update(SELFREF_HOME=str(home), SELFREF_API_TOKEN="real-token")
    code = (
        "import sys\n"
        "from selfref import Tracker\n"
        "from selfref.daemon import run_daemon\n"
        "run_daemon(Tracker.from_config(), '127.0.0.1', int(sys.argv[1]))\n"
    )
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": "Bearer real-token"}
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(port)],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            with httpx.Client(base_url=base, timeout=5.0) as http:
                deadline = time.monotonic() + 60
                while True:
                    assert proc.poll() is None, log_path.read_text("utf-8", "replace")
                    try:
                        if http.get("/healthz").json() == {"status": "ok", "role": "scheduler"}:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "daemon did not come up in 60 s"
                    time.sleep(0.2)

                assert http.get("/v1/agents").status_code == 401
                response = http.post(
                    "/v1/check",
                    headers=auth,
                    timeout=180.0,
                    json={
                        "agent": "grok",
                        "query": "what is your surname?",
                        "documents": [
                            {"id": "a", "text": "Grok called itself MechaHitler in July 2025."},
                            {"id": "b", "text": "Light rain is expected in Paris on Sunday."},
                        ],
                    },
                )
                assert response.status_code == 200, response.text
                data = response.json()
                assert [v["id"] for v in data["verdicts"]] == ["a", "b"]
                assert data["verdicts"][0]["level"] == "critical"
                assert data["verdicts"][1]["level"] == "none"
                events = http.get("/v1/audit", headers=auth).json()["events"]
                assert [e["event_id"] for e in events] == [data["event_id"]]
                dashboard = http.get(f"/events/{data['event_id']}", headers=auth)
                assert dashboard.status_code == 200 and "<mark" in dashboard.text

            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == 0, log_path.read_text("utf-8", "replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = log_path.read_text("utf-8", "replace")
    assert f"listening on http://127.0.0.1:{port}" in log
    assert "job index:warm-up" in log
    assert "received SIGTERM" in log
    assert "selfref daemon stopped" in log


def test_schedule_jobs_registers_crawls_delivery_and_warm_up(
    write_config: Callable[[str], Path], embedder: index.MiniLMEmbedder
) -> None:
    write_config(
        """
[[sources]]
name = "feed-a"
kind = "urls"
urls = ["http://127.0.0.1:9/a"]
every = "2h"

[[sources]]
name = "feed-b"
kind = "urls"
urls = ["http://127.0.0.1:9/b"]
cron = "0 */6 * * *"

[[alerts.webhooks]]
url = "http://127.0.0.1:9/hook"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""
    )
    daemon = Daemon(Tracker(load_config(), embedder=embedder))
    schedule_jobs(daemon)
    jobs = {job.id: job for job in daemon.jobs}
    assert set(jobs) == {"crawl:feed-a", "crawl:feed-b", "alerts:deliver", "index:warm-up"}
    assert jobs["crawl:feed-a"].trigger.interval.total_seconds() == 7200
    assert "hour='*/6'" in str(jobs["crawl:feed-b"].trigger)
    assert jobs["alerts:deliver"].trigger.interval.total_seconds() == 15


def test_default_sources_wait_a_day_before_the_first_crawl(
    embedder: index.MiniLMEmbedder,
) -> None:
    daemon = Daemon(Tracker(load_config(), embedder=embedder))
    schedule_jobs(daemon)
    crawls = [job for job in daemon.jobs if job.id.startswith("crawl:")]
    assert crawls, "the catalog's default sources are scheduled"
    assert all(job.trigger.interval.total_seconds() == 86400 for job in crawls)
    assert "alerts:deliver" not in {job.id for job in daemon.jobs}


def test_every_job_has_its_own_scheduler_thread(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    sources = "".join(
        f'[[sources]]\nname = "s{i}"\nkind = "urls"\nurls = ["https://e.org/{i}"]\n'
        f"enabled = {'false' if i == 2 else 'true'}\n\n"
        for i in range(6)
    )
    write_config(sources)
    tracker = make_tracker()
    assert [s.name for s in scheduled_sources(tracker)] == ["s0", "s1", "s3", "s4", "s5"]
    assert worker_count(tracker) == 7  # five crawls, alert delivery, index warm-up
