"""The alert message: what a channel delivers, and its webhook payload."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FLAGGED = "retrieval.flagged"
TEST = "selfref.test"
ALERT_TYPES = (FLAGGED, TEST)
LEVELS = ("warn", "critical")
# Typed evidence fields beside `kind`, `detail` and `span` (see selfref.levels.Evidence).
EVIDENCE_STRINGS = frozenset({"term", "persona", "incident", "agent", "url", "rule"})
EVIDENCE_NUMBERS = frozenset({"similarity", "chunk"})
EVIDENCE_KEYS = frozenset({"kind", "detail", "span"}) | EVIDENCE_STRINGS | EVIDENCE_NUMBERS


def new_message_id() -> str:
    """A fresh `msg_` id: 48-bit millisecond time then 80 random bits, so ids sort by time."""
    return f"msg_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def _check_level(owner: str, level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"{owner}: level {level!r} is not one of {'|'.join(LEVELS)}")


def _check_score(owner: str, score: float) -> None:
    number = isinstance(score, int | float) and not isinstance(score, bool)
    if not (number and math.isfinite(score) and 0.0 <= score <= 1.0):
        raise ValueError(f"{owner}: score {score!r} must be a number from 0 to 1")


def _evidence(owner: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """Validate one evidence item and return a JSON-shaped copy (span as a list)."""
    unknown = set(item) - EVIDENCE_KEYS
    if unknown:
        raise ValueError(f"{owner}: evidence has unknown keys {sorted(unknown)}")
    kind, detail = item.get("kind"), item.get("detail")
    if not isinstance(kind, str) or not isinstance(detail, str):
        raise ValueError(f"{owner}: evidence needs string 'kind' and 'detail', got {item!r}")
    out: dict[str, Any] = {"kind": kind, "detail": detail}
    if item.get("span") is not None:
        span = list(item["span"])
        if len(span) != 2 or not all(type(n) is int and n >= 0 for n in span):
            raise ValueError(f"{owner}: evidence span {item['span']!r} must be [start, end]")
        out["span"] = span
    for key in sorted(EVIDENCE_STRINGS | EVIDENCE_NUMBERS):
        value = item.get(key)
        if value is None:
            continue
        expected: type | tuple[type, ...] = str if key in EVIDENCE_STRINGS else (int, float)
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError(f"{owner}: evidence {key} {value!r} has the wrong type")
        out[key] = value
    return out


@dataclass(frozen=True, kw_only=True)
class AlertDocument:
    """One flagged document inside an alert, with the verdict that flagged it."""

    id: str | None
    url: str | None
    title: str | None
    level: str
    score: float
    categories: tuple[str, ...] = ()
    evidence: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        owner = f"document {self.id!r}"
        _check_level(owner, self.level)
        _check_score(owner, self.score)
        object.__setattr__(self, "categories", tuple(self.categories))
        object.__setattr__(self, "evidence", tuple(_evidence(owner, e) for e in self.evidence))

    def to_dict(self) -> dict[str, Any]:
        """The document as it appears in the webhook payload."""
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "level": self.level,
            "score": self.score,
            "categories": list(self.categories),
            "evidence": [dict(e) for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AlertDocument:
        """Inverse of `to_dict`."""
        return cls(
            id=data["id"],
            url=data["url"],
            title=data["title"],
            level=data["level"],
            score=data["score"],
            categories=tuple(data["categories"]),
            evidence=tuple(data["evidence"]),
        )


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One alert message; `id` is its Standard Webhooks message id, reused on every retry."""

    id: str
    type: str
    agent: str
    level: str
    score: float
    event_id: str
    created_at: datetime
    session: str | None = None
    query: str | None = None
    documents: tuple[AlertDocument, ...] = ()
    hits: int = 1
    audit_url: str | None = None

    def __post_init__(self) -> None:
        owner = f"alert {self.id!r}"
        if not self.id:
            raise ValueError("alert: id must not be empty")
        if self.type not in ALERT_TYPES:
            raise ValueError(f"{owner}: type {self.type!r} is not one of {'|'.join(ALERT_TYPES)}")
        if not self.agent:
            raise ValueError(f"{owner}: agent must not be empty")
        _check_level(owner, self.level)
        _check_score(owner, self.score)
        if self.created_at.utcoffset() is None:
            raise ValueError(f"{owner}: created_at must be timezone-aware")
        if isinstance(self.hits, bool) or not isinstance(self.hits, int) or self.hits < 1:
            raise ValueError(f"{owner}: hits {self.hits!r} must be an integer >= 1")
        object.__setattr__(self, "documents", tuple(self.documents))

    @property
    def is_test(self) -> bool:
        """True for a test alert sent by `selfref alerts test`."""
        return self.type == TEST

    @property
    def timestamp(self) -> str:
        """`created_at` as ISO 8601 in UTC with a `Z` suffix."""
        stamp = self.created_at.astimezone(UTC).isoformat(timespec="microseconds")
        return stamp.replace("+00:00", "Z")

    def to_payload(self) -> dict[str, Any]:
        """The webhook JSON body: Standard Webhooks `type`, `timestamp`, `data`."""
        return {
            "type": self.type,
            "timestamp": self.timestamp,
            "data": {
                "alert_id": self.id,
                "agent": self.agent,
                "level": self.level,
                "score": self.score,
                "event_id": self.event_id,
                "session": self.session,
                "query": self.query,
                "hits": self.hits,
                "audit_url": self.audit_url,
                "documents": [d.to_dict() for d in self.documents],
            },
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Alert:
        """Inverse of `to_payload`; raises KeyError or ValueError on a malformed payload."""
        data = payload["data"]
        stamp = payload["timestamp"]
        if not isinstance(stamp, str) or not stamp.endswith("Z"):
            raise ValueError(f"timestamp {stamp!r} must be ISO 8601 UTC ending in 'Z'")
        return cls(
            id=data["alert_id"],
            type=payload["type"],
            agent=data["agent"],
            level=data["level"],
            score=data["score"],
            event_id=data["event_id"],
            created_at=datetime.fromisoformat(stamp),
            session=data["session"],
            query=data["query"],
            documents=tuple(AlertDocument.from_dict(d) for d in data["documents"]),
            hits=data["hits"],
            audit_url=data["audit_url"],
        )


def make_test_alert(
    agent: str = "selfref", *, audit_url: str | None = None, now: datetime | None = None
) -> Alert:
    """A clearly marked test alert for `selfref alerts test CHANNEL`."""
    return Alert(
        id=new_message_id(),
        type=TEST,
        agent=agent,
        level="critical",
        score=1.0,
        event_id="test",
        created_at=now or datetime.now(UTC),
        query="TEST: is this channel wired up?",
        documents=(
            AlertDocument(
                id="test-document",
                url="https://example.org/selfref-test",
                title="TEST document: not real material",
                level="critical",
                score=1.0,
                categories=("test",),
                evidence=({"kind": "test", "detail": "sent by selfref alerts test"},),
            ),
        ),
        audit_url=audit_url,
    )
