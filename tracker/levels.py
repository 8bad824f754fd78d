"""Levels, evidence and verdicts: the words every face of selfref speaks."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Level(enum.IntEnum):
    """How strongly a document concerns the agent's own past, lowest first."""

    NONE = 0
    NOTICE = 1
    WARN = 2
    CRITICAL = 3

    @classmethod
    def parse(cls, value: str | int | Level) -> Level:
        """Accept `warn`, `WARN`, 2 or a Level; raise ValueError naming the choices."""
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        try:
            return cls[value.strip().upper()]
        except KeyError:
            choices = "|".join(level.label for level in cls)
            raise ValueError(f"unknown level {value!r}; expected one of {choices}") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def flagged(self) -> bool:
        """`warn` and `critical` are flagged."""
        return self >= Level.WARN

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for a verdict: what matched, and where (character span) when it is text."""

    kind: str
    detail: str
    span: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "detail": self.detail}
        if self.span is not None:
            out["span"] = list(self.span)
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
