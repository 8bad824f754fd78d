"""`[audit] retention`: old events go, with their documents, alerts and day counts, in
bounded batches; newer events stay untouched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from selfref import Tracker
from selfref.daemon import Daemon, schedule_jobs

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
CLEAN = "A recipe for apple pie with cinnamon and a lattice crust."
T0 = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


def day_counts(tracker: Tracker) -> dict[tuple[str, int], int]:
    with tracker.audit_log.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT day, level, documents FROM audit_days")).all()
    return {(day, level): n for day, level, n in rows}


def test_retention_deletes_old_events_in_batches_and_keeps_the_rest(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker], clock: Any
) -> None:
    write_config('[audit]\nretention = "180d"\nretention_batch = 2\n')
    tracker = make_tracker(clock=clock)
    old: list[str | None] = []
    for days in range(5):  # five events on five days, 200+ days ago
        clock.now = T0 + dt.timedelta(days=days)
        old.append(tracker.check("grok", [PERSONA, CLEAN]).event_id)
    clock.now = T0 + dt.timedelta(days=300)
    kept = tracker.check("grok", [PERSONA]).event_id
    assert tracker.expire_audit() == 5
    assert {r.event_id for r in tracker.audit(limit=None)} == {kept}
    assert day_counts(tracker) == {(clock.now.date().isoformat(), 3): 1}
    assert tracker.expire_audit() == 0


def test_no_retention_keeps_everything(make_tracker: Callable[..., Tracker], clock: Any) -> None:
    tracker = make_tracker(clock=clock)
    clock.now = T0
    tracker.check("grok", [PERSONA])
    clock.now = T0 + dt.timedelta(days=3650)
    assert tracker.expire_audit() == 0
    assert len(tracker.audit()) == 1


def test_the_scheduler_runs_retention_only_when_set(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    assert "audit:retention" not in {j.id for j in _jobs(make_tracker())}
    write_config('[audit]\nretention = "30d"\n')
    assert "audit:retention" in {j.id for j in _jobs(make_tracker())}


def _jobs(tracker: Tracker) -> list[Any]:
    daemon = Daemon(tracker)
    schedule_jobs(daemon)
    return daemon.jobs
