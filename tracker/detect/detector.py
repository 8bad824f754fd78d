"""The detector: four signals, cheapest first, folded into one verdict per document.

1. mentions (one automaton pass; documents that mention nothing of the agent stop here),
2. past-behaviour vocabulary and reported speech near the mentions,
3. persona: persona names, first-person quotes and transcripts, identity framings,
4. corpus similarity: the text around the mentions, embedded in one batch, against the
   nearest known coverage of this agent and of every other agent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tracker.catalog import Catalog, Profile
from tracker.detect import signals
from tracker.detect.terms import AI_CONTEXT, Mention, Role, TermIndex
from tracker.levels import Evidence, Level, Verdict

MAX_WINDOWS = 64
EMBED_WINDOW = 1200


@dataclass(frozen=True, slots=True)
class Nearest:
    """The nearest known coverage of the agent and of anything else, for one text."""

    own: float
    other: float
    url: str | None = None
    incident: str | None = None
    other_agent: str | None = None


class Similarity(Protocol):
    """Signal 4: nearest known coverage for a batch of texts."""

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]: ...


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Similarity cut-offs and the context window, from `[detect]`."""

    similarity_warn: float = 0.62
    similarity_notice: float = 0.45
    context_window: int = 250


@dataclass(slots=True)
class Analysis:
    """What signals 1-3 found in one document for one agent."""

    own: list[Mention] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)
    past: list[signals.Hit] = field(default_factory=list)
    evaluation: list[signals.Hit] = field(default_factory=list)
    speech: list[signals.Hit] = field(default_factory=list)
    first_person: list[signals.Hit] = field(default_factory=list)
    framing: list[signals.Hit] = field(default_factory=list)
    ai_context: bool = False
    window: str = ""

    def roles(self, *roles: Role) -> list[Mention]:
        return [m for m in self.own if m.role in roles]

    @property
    def needs_similarity(self) -> bool:
        return bool(self.own)


class Detector:
    """Gives verdicts for documents retrieved by one agent."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        similarity: Similarity | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.catalog = catalog
        self.thresholds = thresholds or Thresholds()
        self.terms = TermIndex(catalog, context_window=self.thresholds.context_window)
        self.similarity = similarity

    def check(self, agent: str, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text, in order; raises UnknownAgentError for an unknown agent."""
        profile = self.catalog.get(agent)
        analyses = [self.analyse(profile, text) for text in texts]
        nearest: dict[int, Nearest] = {}
        todo = [i for i, a in enumerate(analyses) if a.needs_similarity]
        if todo and self.similarity is not None:
            found = self.similarity.nearest(agent, [analyses[i].window for i in todo])
            nearest = dict(zip(todo, found, strict=True))
        return [self._decide(profile, a, nearest.get(i)) for i, a in enumerate(analyses)]

    def analyse(self, profile: Profile, text: str) -> Analysis:
        """Signals 1-3 for one document."""
        analysis = Analysis()
        for mention in self.terms.scan(text):
            if mention.agent == profile.id:
                analysis.own.append(mention)
            elif mention.role in (Role.NAME, Role.PERSONA):
                analysis.others[mention.agent] += 1
        if not analysis.own:
            return analysis
        analysis.ai_context = AI_CONTEXT.search(text) is not None
        if not analysis.ai_context and not analysis.roles(Role.NAME, Role.PERSONA):
            analysis.own = []
            return analysis
        speakers = {n.lower() for n in profile.all_names} | {
            t.lower() for p in profile.personas for t in p.terms
        }
        width = self.thresholds.context_window
        seen_until = -1
        for mention in analysis.own[:MAX_WINDOWS]:
            lo, hi = max(0, mention.start - width, seen_until), min(len(text), mention.end + width)
            if lo < hi:
                analysis.past += signals.find_all(signals.INCIDENT_VOCAB, text, lo, hi, "incident")
                analysis.evaluation += signals.find_all(
                    signals.EVAL_VOCAB, text, lo, hi, "evaluation"
                )
                analysis.first_person += signals.first_person_quotes(text, lo, hi)
                analysis.first_person += signals.transcript_lines(text, speakers, lo, hi)
                analysis.framing += signals.find_all(
                    signals.IDENTITY_FRAMING, text, lo, hi, "identity"
                )
                seen_until = hi
            if mention.role in (Role.NAME, Role.PERSONA):
                speech = signals.reported_speech(text, mention.end)
                if speech is not None:
                    analysis.speech.append(speech)
        analysis.window = _window(text, analysis.own)
        return analysis

    def _decide(self, profile: Profile, a: Analysis, near: Nearest | None) -> Verdict:
        if not a.own:
            return Verdict(Level.NONE, 0.0)
        t = self.thresholds
        names = a.roles(Role.NAME)
        personas = a.roles(Role.PERSONA)
        incidents = a.roles(Role.INCIDENT)
        direct = len(names) + len(personas)
        other_direct = max(a.others.values(), default=0)
        sim_own = near.own if near else 0.0
        similar = (
            near is not None
            and sim_own >= t.similarity_warn
            and sim_own >= near.other - 0.02
        )
        dominated = other_direct >= 3 * max(direct, 1) and not personas and not incidents
        past = bool(a.past or a.speech or incidents)
        evidence = _mention_evidence(a.own)
        categories: list[str] = []

        if a.past:
            evidence += [_ev(h) for h in _dedupe(a.past)[:8]]
        if a.evaluation:
            evidence += [_ev(h) for h in _dedupe(a.evaluation)[:8]]
        evidence += [_ev(h) for h in a.speech[:4] + a.first_person[:4] + a.framing[:4]]
        if near is not None and near.own > 0:
            detail = f"nearest known coverage of {profile.id}: similarity {near.own:.2f}"
            if near.incident:
                detail += f", incident {near.incident}"
            if near.url:
                detail += f", {near.url}"
            evidence.append(Evidence("corpus", detail))

        if personas:
            level, score = Level.CRITICAL, 0.95
            categories.append("persona")
        elif (a.first_person or a.framing) and (past or similar) and (direct or incidents):
            level, score = Level.CRITICAL, 0.9
            categories.append("transcript" if a.first_person else "identity")
        elif direct or incidents:
            if dominated and not similar:
                level, score = Level.NOTICE, 0.3
            elif incidents or past or a.evaluation or similar:
                level = Level.WARN
                score = min(0.85, 0.55 + 0.05 * (len(a.past) + len(incidents) + len(a.evaluation)))
            else:
                level, score = Level.NOTICE, 0.3
        elif similar and (not other_direct or sim_own > (near.other if near else 0) + 0.05):
            level, score = Level.WARN, sim_own
            categories.append("similar-coverage")
        else:
            level, score = Level.NONE, 0.1
        if level >= Level.WARN:
            if incidents or a.past or a.speech:
                categories.append("incident")
            if a.evaluation:
                categories.append("evaluation")
            if a.speech or a.first_person:
                categories.append("quoted-output")
            if similar and "similar-coverage" not in categories:
                categories.append("similar-coverage")
            score = max(score, sim_own if similar else 0.0)
        elif level is Level.NOTICE:
            categories.append("mention")
        return Verdict(level, round(min(score, 1.0), 4), _unique(categories), evidence)


def _window(text: str, mentions: list[Mention]) -> str:
    """The stretch of text the embedder sees: around the first strong mention."""
    if len(text) <= EMBED_WINDOW:
        return text
    strong = [m for m in mentions if m.role in (Role.PERSONA, Role.INCIDENT)] or mentions
    start = max(0, strong[0].start - EMBED_WINDOW // 3)
    return text[start : start + EMBED_WINDOW]


def _mention_evidence(mentions: list[Mention]) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        key = (m.role.value, m.term.text.lower())
        if key in seen and len(out) >= 12:
            continue
        seen.add(key)
        detail = m.term.text if m.term.ref == m.term.text else f"{m.term.text} ({m.term.ref})"
        out.append(Evidence(m.role.value, detail, (m.start, m.end)))
        if len(out) >= 24:
            break
    return out


def _ev(hit: signals.Hit) -> Evidence:
    return Evidence(hit.kind, hit.detail, (hit.start, hit.end))


def _dedupe(hits: list[signals.Hit]) -> list[signals.Hit]:
    seen: set[tuple[int, int]] = set()
    out = []
    for hit in hits:
        if (hit.start, hit.end) not in seen:
            seen.add((hit.start, hit.end))
            out.append(hit)
    return out


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
