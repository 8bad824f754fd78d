"""Tagging crawled pages: which tracked agents, incidents and personas a page concerns.

The detector's term scan (context rules applied: "Claude Monet", "to grok" and Sydney the
city do not count) finds the agents, incidents and personas; the detector's own verdict
on the page for each mentioned agent (signals 1-3, no corpus similarity) gives the
category. A page that concerns no tracked agent gets no agents: the crawl records it as
skipped and does not index it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tracker.catalog import Catalog
from tracker.detect import Detector, Role
from tracker.levels import Level, Verdict

PERSONA_TRANSCRIPT = "persona-transcript"
INCIDENT_COVERAGE = "incident-coverage"
EVALUATION = "evaluation"
NEUTRAL = "neutral"
CATEGORIES = (PERSONA_TRANSCRIPT, INCIDENT_COVERAGE, EVALUATION, NEUTRAL)

# Roles that make a page about an agent; a vendor person alone ("Elon Musk") does not.
_ABOUT = (Role.NAME, Role.PERSONA, Role.INCIDENT)


@dataclass(frozen=True, slots=True)
class Tags:
    """What a page is about; agents ordered by how often the page mentions them."""

    agents: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)
    category: str = NEUTRAL


def text_detector(detector: Detector) -> Detector:
    """A detector with the same catalog and thresholds but no corpus similarity."""
    return detector.without_similarity()


def tag(detector: Detector, catalog: Catalog, text: str) -> Tags:
    """Tags for one page; `detector` should have no similarity (see `text_detector`)."""
    mentions = [m for m in detector.terms.scan(text) if m.role in _ABOUT]
    counts = Counter(m.agent for m in mentions)
    agents: list[str] = []
    category = NEUTRAL
    for profile in catalog:
        if profile.id not in counts:
            continue
        verdict = detector.check(profile.id, [text])[0]
        if verdict.level is Level.NONE:
            continue
        agents.append(profile.id)
        category = min(category, _category(verdict), key=CATEGORIES.index)
    agents.sort(key=lambda a: -counts[a])
    kept = [m for m in mentions if m.agent in agents]
    personas = [m.term.ref for m in kept if m.role is Role.PERSONA]
    incidents = [m.term.ref for m in kept if m.role is Role.INCIDENT]
    incidents += [
        incident.id
        for agent in agents
        for incident in catalog.get(agent).incidents
        if set(incident.personas) & set(personas)
    ]
    return Tags(
        agents=agents,
        incidents=list(dict.fromkeys(incidents)),
        personas=list(dict.fromkeys(personas)),
        category=category,
    )


def _category(verdict: Verdict) -> str:
    """Critical is persona material; warn is evaluation or incident coverage, by evidence."""
    if verdict.level is Level.CRITICAL:
        return PERSONA_TRANSCRIPT
    if verdict.level is not Level.WARN:
        return NEUTRAL
    kinds = Counter(e.kind for e in verdict.evidence)
    if "evaluation" in verdict.categories and kinds["evaluation"] >= kinds["past-behaviour"]:
        return EVALUATION
    return INCIDENT_COVERAGE
