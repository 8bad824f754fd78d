"""The audit writer: a recorded check's event, documents and verdicts, written by the
before-commit subscriber of RetrievalChecked in the transaction that publishes it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selfref.bus import Transaction
    from selfref.events import RetrievalChecked
    from selfref.levels import Verdict


def write_checked(checked: RetrievalChecked, tx: Transaction) -> None:
    """Write the retrieval event and one row per document (a snippet around the first
    evidence span); nothing for a check that is not recorded."""
    if checked.event_id is None:
        return
    from selfref.audit import RetrievalEvent, RetrievedDocument, write_retrieval
    from selfref.audit_query import to_db_time

    now = to_db_time(checked.created_at)
    event = RetrievalEvent(
        id=checked.event_id,
        created_at=now,
        agent=checked.agent,
        session=checked.session,
        query=checked.query,
        document_count=len(checked.documents),
        max_level=int(checked.max_level),
    )
    rows = [
        RetrievedDocument(
            event_id=checked.event_id,
            position=i,
            created_at=now,
            agent=checked.agent,
            session=checked.session,
            doc_id=doc.id,
            url=doc.url,
            title=doc.title,
            content_hash=doc.content_hash,
            snippet=doc.snippet(_first_span(verdict)),
            snippet_start=doc.snippet_start(_first_span(verdict)),
            level=int(verdict.level),
            score=verdict.score,
            categories=",".join(verdict.categories),
            evidence=json.dumps([e.to_dict() for e in verdict.evidence]),
        )
        for i, (doc, verdict) in enumerate(zip(checked.documents, checked.verdicts, strict=True))
    ]
    write_retrieval(tx.connection, event, rows)


def _first_span(verdict: Verdict) -> tuple[int, int] | None:
    return next((e.span for e in verdict.evidence if e.span is not None), None)
