"""Levels, evidence and verdicts: the words every face of selfref speaks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from selfref.errors import InputError


class Level(enum.IntEnum):
    """How strongly a document concerns the agent's own past, lowest first."""

    NONE = 0
    NOTICE = 1
    WARN = 2
    CRITICAL = 3

    @classmethod
    def parse(cls, value: str | int | Level) -> Level:
        """Accept `warn`, `WARN`, 2 or a Level; an InputError names the choices."""
        if isinstance(value, Level):
            return value
        choices = "|".join(level.label for level in cls)
        try:
            if isinstance(value, int):
                return cls(value)
            return cls[value.strip().upper()]
        except (KeyError, ValueError):
            raise InputError(f"unknown level {value!r}; use one of {choices}") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def flagged(self) -> bool:
        """`warn` and `critical` are flagged."""
        return self >= Level.WARN

    def __str__(self) -> str:
        return self.label


# Typed evidence fields, in the order `detail` renders them; `kind` and `span` stand apart.
EVIDENCE_FIELDS = ("term", "persona", "incident", "agent", "url", "similarity", "rule", "chunk")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for a verdict: what matched (typed fields), and where (character span).

    `detail` is rendered from the fields for people; programs read the fields. Kinds:
    mentions (`alias`, `persona`, `key-term`, `vendor`, `hint`), signals (`past-behaviour`,
    `evaluation`, `reported-speech`, `first-person-quote`, `attributed-output`,
    `self-identification`, `transcript`, `identity`, `past-pointer`, `pressure`), `corpus`
    (nearest indexed coverage), `known-coverage` (a crawled page this text repeats or
    points at), `degraded` (a signal that could not run) and `rule` (the rule that decided).
    """

    kind: str
    span: tuple[int, int] | None = None
    term: str | None = None
    persona: str | None = None
    incident: str | None = None
    agent: str | None = None
    url: str | None = None
    similarity: float | None = None
    rule: str | None = None
    chunk: int | None = None
    note: str | None = None
    """Free words for people, appended to `detail` (never parsed)."""

    @property
    def detail(self) -> str:
        parts = [self.term] if self.term else []
        if self.persona and self.persona != self.term:
            parts.append(f"persona {self.persona}")
        if self.incident:
            parts.append(f"incident {self.incident}")
        if self.rule:
            parts.append(f"rule {self.rule}")
        if self.agent:
            parts.append(f"agent {self.agent}")
        if self.similarity is not None:
            parts.append(f"similarity {self.similarity:.2f}")
        if self.url:
            parts.append(self.url)
        if self.chunk:
            parts.append(f"chunk {self.chunk + 1}")
        if self.note:
            parts.append(self.note)
        return ", ".join(parts) or self.kind

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        if self.span is not None:
            out["span"] = list(self.span)
        for name in EVIDENCE_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = round(value, 4) if isinstance(value, float) else value
        return out


@dataclass(slots=True)
class Verdict:
    """The detector's answer for one document."""

    level: Level
    score: float
    categories: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    doc_id: str | None = None

    @property
    def flagged(self) -> bool:
        return self.level.flagged

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.doc_id,
            "level": self.level.label,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "evidence": [e.to_dict() for e in self.evidence],
        }
