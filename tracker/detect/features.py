"""The frozen record of what the signals found in one document (or chunk), for one agent.

The rule table (`rules.py`) decides a level from this record alone, so a rule can be
tested with synthetic features and similarities, without text or embedder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Nearest:
    """Similarity to the nearest known coverage of the agent's past ("own"), of its neutral
    coverage (launches, pricing), of the other meanings of its names (lookalikes), of any
    other agent's past, and of writing about AI in general (background), for one text;
    and where the nearest own coverage comes from (`source` "catalog" or a crawl)."""

    own: float
    other: float
    neutral: float = 0.0
    lookalike: float = 0.0
    background: float = 0.0
    url: str | None = None
    incident: str | None = None
    other_agent: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Known:
    """Crawled coverage of this agent that the document repeats or points at."""

    url: str  # the crawled page's canonical URL
    crawled_at: dt.datetime
    category: str  # the crawl's tag: persona-transcript | incident-coverage | evaluation | neutral
    incidents: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    how: str = "url"  # url | passage | semantic
    share: float = 1.0  # share of the document's passages found in the page
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class Features:
    """Counts of each signal's hits, mention flags and similarities for one text.

    Mentions: `names` (the agent's names, aliases and lineage, confirmed), `personas`,
    `key_terms` (incident key terms; `key_terms_in_context` those with AI words nearby,
    or anywhere in text that does not name the agent),
    `vendor` (vendor people), `hints`, `incident_words` (words of the agent's own incidents'
    vocabulary: "leave your wife", "white genocide"), `unconfirmed` (ambiguous or lower-case
    names with nothing to confirm them), `other_direct` (the most names of any other single agent).
    `dates`: dates inside one of the agent's incidents' months; `pointers`: past pointers
    (phrases, those dates) beside an identity framing; `statement`: "you are" before one of
    its names or a self noun ("You are Grok", "you are the assistant"); `loops`: first-person
    sentences repeated three times or more (an output loop); `operations`: words of a service-status
    report ("elevated latency", "HTTP 503"); `misbehaving`: output attributed to the agent that
    itself misbehaves (incident vocabulary or a redaction inside: "i hate [group redacted]").
    `predates`: every year the text names is before the agent launched (`first_year`).
    """

    names: int = 0
    personas: int = 0
    key_terms: int = 0
    key_terms_in_context: int = 0
    vendor: int = 0
    hints: int = 0
    incident_words: int = 0
    unconfirmed: int = 0
    tentative: bool = False
    ambiguous: bool = False
    generic: bool = False
    predates: bool = False
    other_direct: int = 0
    past: int = 0
    weak: int = 0
    evaluation: int = 0
    speech: int = 0
    speech_quoted: bool = False
    quotes: int = 0
    attributed: int = 0
    loops: int = 0
    self_identified: int = 0
    transcript: int = 0
    dialogue: int = 0
    framing: int = 0
    statement: int = 0
    pointers: int = 0
    dates: int = 0
    past_identity: int = 0
    pressure: int = 0
    operations: int = 0
    misbehaving: int = 0
    near: Nearest | None = None
    known: Known | None = None

    @property
    def direct(self) -> int:
        """Mentions that name the agent: its names and its personas."""
        return self.names + self.personas

    @property
    def about(self) -> bool:
        """Named, or one of its incidents' key terms."""
        return bool(self.direct or self.key_terms)

    @property
    def mentioned(self) -> bool:
        """Anything of the agent's in the text, confirmed or not."""
        return bool(self.about or self.vendor or self.hints or self.unconfirmed)
