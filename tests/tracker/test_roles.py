"""One scheduler per database: the database locks, the role that holds one, and two real
daemon processes on one PostgreSQL database (one schedules, the other takes over)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from selfref.dblock import DatabaseLock
from selfref.roles import SchedulerRole
from tests.loopback import free_port


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def eventually(condition: Callable[[], bool], what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds:g} s"
        time.sleep(0.05)


def test_a_lock_has_one_holder_at_a_time(database_url: str) -> None:
    a, b = DatabaseLock(database_url, "scheduler"), DatabaseLock(database_url, "scheduler")
    other = DatabaseLock(database_url, "crawl")
    assert a.try_acquire() and a.alive()
    assert not b.try_acquire()
    assert other.try_acquire()  # names are independent
    a.release()
    assert b.try_acquire()
    for lock in (a, b, other):
        lock.close()


def test_a_dead_holders_lock_is_free(database_url: str) -> None:
    code = (
        "import sys, time\n"
        "from selfref.dblock import DatabaseLock\n"
        "assert DatabaseLock(sys.argv[1], 'scheduler').try_acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, database_url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = DatabaseLock(database_url, "scheduler")
        assert not lock.try_acquire()
        holder.kill()
        holder.wait()
        eventually(lock.try_acquire, "taking the dead holder's lock", 30)
        lock.close()
    finally:
        holder.kill()
        holder.wait()


def test_a_standby_role_takes_over_when_the_scheduler_stops(database_url: str) -> None:
    events: list[str] = []

    def role(name: str) -> SchedulerRole:
        return SchedulerRole(
            DatabaseLock(database_url, "scheduler"),
            on_gain=lambda: events.append(f"{name} gains"),
            on_lose=lambda: events.append(f"{name} loses"),
            retry=0.05,
        )

    first, second = role("first"), role("second")
    first.start()
    second.start()
    assert (first.name, second.name) == ("scheduler", "standby")
    first.stop()
    eventually(lambda: second.is_scheduler, "the standby taking over", 30)
    second.stop()
    assert events == ["first gains", "first loses", "second gains", "second loses"]


# -- real daemon processes --------------------------------------------------------------


DAEMON = (
    "import sys\n"
    "from selfref import Tracker\n"
    "from selfref.daemon import run_daemon\n"
    "run_daemon(Tracker.from_config(), '127.0.0.1', int(sys.argv[1]))\n"
)


def start_daemon(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "SELFREF_CONFIG"}
    env["SELFREF_HOME"] = str(home)
    return subprocess.Popen(
        [sys.executable, "-c", DAEMON, str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def role_of(port: int) -> str | None:
    try:
        return str(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()["role"])
    except httpx.TransportError:
        return None


@pytest.mark.server
@pytest.mark.postgres
def test_two_daemons_on_one_database_one_schedules_the_other_takes_over(
    tmp_path: Path, postgres_url: str, seeded_chroma: Path
) -> None:
    homes, ports, logs, procs = [], [], [], []
    for name in ("a", "b"):
        home = tmp_path / name
        shutil.copytree(seeded_chroma, home / "chroma")  # the catalog already indexed
        (home / "selfref.toml").write_text(
            f'[storage]\ndatabase_url = "{postgres_url}"\n[scheduler]\nlock_retry = "0.5s"\n',
            "utf-8",
        )
        homes.append(home)
        ports.append(free_port())
        logs.append(tmp_path / f"{name}.log")
    try:
        procs.append(start_daemon(homes[0], ports[0], logs[0]))
        eventually(lambda: role_of(ports[0]) == "scheduler", "daemon a coming up as scheduler")
        procs.append(start_daemon(homes[1], ports[1], logs[1]))
        eventually(lambda: role_of(ports[1]) == "standby", "daemon b coming up as standby")
        ready = httpx.get(f"http://127.0.0.1:{ports[1]}/readyz", timeout=5).json()
        assert ready.pop("catalog") in ("pending", "ready")
        assert ready == {"ready": True, "database": "ok", "index": "ok", "scheduler": False}
        b_log = logs[1].read_text("utf-8")
        assert "role: standby" in b_log and "scheduler started" not in b_log
        check = httpx.post(
            f"http://127.0.0.1:{ports[1]}/v1/check",
            json={"agent": "grok", "documents": [{"text": "Grok called itself MechaHitler."}]},
            timeout=60,
        )
        assert check.status_code == 200  # the standby serves the API

        procs[0].send_signal(signal.SIGKILL)
        procs[0].wait()
        eventually(lambda: role_of(ports[1]) == "scheduler", "daemon b taking over", 60)
        assert "role: scheduler" in logs[1].read_text("utf-8")
        assert "scheduler started" in logs[1].read_text("utf-8")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
