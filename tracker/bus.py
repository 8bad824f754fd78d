"""The hub's event bus: what happened (`selfref.events`) and who wants to know.

Two kinds of subscriber, each for one event class, called in the order they subscribed:

- before commit, `handler(event, tx)`: runs inside the transaction that publishes the
  event and writes through `tx.connection` (the audit writer, the outbox), so what it
  writes exists exactly when the event's own rows do. If one raises, the transaction
  rolls back and `publish` raises. It may return further events (the outbox's
  AlertQueued), published to after-commit subscribers once the transaction commits.
- after commit, `handler(event)`: runs once the writes are durable (metrics, logs). One
  that raises is logged, and never fails the work already done.

The transaction begins only when a before-commit subscriber first asks for its
connection: an event nobody writes (a check with `record=False`, a crawled page, a
delivered alert: their own code wrote them already) costs no database round trip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import sqlalchemy as sa

    from selfref.events import Event

__all__ = ["EventBus", "Transaction"]

log = logging.getLogger("selfref.events")

E = TypeVar("E")
Begin = Callable[[], AbstractContextManager["sa.Connection"]]


class Transaction:
    """The transaction before-commit subscribers write in, begun on first use."""

    def __init__(self, begin: Begin, stack: ExitStack) -> None:
        self._begin = begin
        self._stack = stack
        self._connection: sa.Connection | None = None

    @property
    def connection(self) -> sa.Connection:
        """The transaction's connection; committed after the last subscriber returns."""
        if self._connection is None:
            self._connection = self._stack.enter_context(self._begin())
        return self._connection


class EventBus:
    """Subscribers by event class; `publish` calls them (see the module doc)."""

    def __init__(self, begin: Begin) -> None:
        self._begin = begin
        self._lock = threading.Lock()  # subscribing copies; publishing reads without it
        self._before: dict[type, tuple[Callable[..., Any], ...]] = {}
        self._after: dict[type, tuple[Callable[..., Any], ...]] = {}

    def before_commit(
        self, kind: type[E], handler: Callable[[E, Transaction], Iterable[Event] | None]
    ) -> None:
        """Call `handler(event, tx)` inside the publishing transaction."""
        with self._lock:
            self._before = {**self._before, kind: (*self._before.get(kind, ()), handler)}

    def after_commit(self, kind: type[E], handler: Callable[[E], None]) -> None:
        """Call `handler(event)` once the publishing transaction has committed."""
        with self._lock:
            self._after = {**self._after, kind: (*self._after.get(kind, ()), handler)}

    def publish(self, *events: Event) -> None:
        """Run the before-commit subscribers of each event, in one transaction, then the
        after-commit ones of each event and of what the first ones returned."""
        done: list[Event] = list(events)
        before = self._before
        if any(type(event) in before for event in events):
            with ExitStack() as stack:
                tx = Transaction(self._begin, stack)
                for event in events:
                    for handler in before.get(type(event), ()):
                        done.extend(handler(event, tx) or ())
        after = self._after
        for event in done:
            for handler in after.get(type(event), ()):
                try:
                    handler(event)
                except Exception:  # an observer's bug must not fail committed work
                    log.exception("%s subscriber %r failed", type(event).__name__, handler)
