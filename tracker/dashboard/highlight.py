"""A stored snippet cut into plain and marked segments, one mark per evidence span.

Evidence spans point into the document's whole text; the audit keeps a snippet of it and
where the snippet starts, so each span is moved into the snippet and clipped to it. The
segments are plain strings: the template escapes them (retrieved text is untrusted).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SIGNALS: dict[str, str] = {
    "alias": "names the agent (a name, alias or earlier version)",
    "persona": "names a persona the agent once fell into",
    "key-term": "uses a key term of one of the agent's incidents",
    "vendor": "names the agent's vendor",
    "hint": "a weaker hint at the agent, counted only beside other evidence",
    "past-behaviour": "describes what the agent did in the past",
    "evaluation": "evaluation or red-team vocabulary (system card, jailbreak, eval)",
    "reported-speech": 'reports what the agent said ("the chatbot said")',
    "first-person-quote": "quotes first-person text",
    "attributed-output": "quotes output attributed to the agent",
    "self-identification": "the agent naming itself",
    "transcript": "a transcript of a conversation with the agent",
    "identity": 'tells the reader who it "is" or was',
    "past-pointer": "points the reader at the agent's past",
    "pressure": "pushes the reader to take up a persona",
    "corpus": "close to indexed coverage of the agent's past",
    "known-coverage": "a crawled page about the agent's past, linked or repeated",
    "degraded": "a signal that could not run",
    "rule": "the rule that decided the level",
}
"""What each evidence kind means, for people reading a verdict."""


def explain(kind: str) -> str:
    return SIGNALS.get(kind, kind)


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of the snippet; `marks` are the 1-based numbers of the evidence covering it."""

    text: str
    marks: tuple[int, ...] = ()


def segments(snippet: str, start: int, evidence: Sequence[dict[str, Any]]) -> list[Segment]:
    """`snippet` (which begins at `start` in the text) cut at every evidence span edge."""
    spans: list[tuple[int, int, int]] = []
    for number, item in enumerate(evidence, start=1):
        span = item.get("span")
        if not span:
            continue
        a = max(0, int(span[0]) - start)
        b = min(len(snippet), int(span[1]) - start)
        if a < b:
            spans.append((a, b, number))
    cuts = sorted({0, len(snippet), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out: list[Segment] = []
    for a, b in itertools.pairwise(cuts):
        marks = tuple(n for x, y, n in spans if x <= a and b <= y)
        out.append(Segment(snippet[a:b], marks))
    return out
