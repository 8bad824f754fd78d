"""The detector: four signals, cheapest first, folded into one verdict per document.

1. mentions (one automaton pass; documents that mention nothing of the agent stop here),
2. past-behaviour vocabulary and reported speech near the mentions,
3. persona: persona names, first-person quotes and transcripts, identity framings,
4. corpus similarity: the text around the mentions, embedded in one batch, against the
   nearest known coverage of this agent's past, its product news, the other meanings of
   its names, every other agent's past and writing about AI in general.

Mentions that cannot carry a verdict alone (an ambiguous or lower-case name, vendor people,
hints) make a document "tentative" or unnamed: similarity then decides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tracker.catalog import Catalog, Profile
from tracker.detect import signals
from tracker.detect.terms import AI_CONTEXT, Mention, Role, TermIndex
from tracker.levels import Evidence, Level, Verdict

# Margins between similarities (cosine, MiniLM). "Own" is the nearest known coverage of
# this agent's past, "other" of another agent's past, "neutral" of this agent's product news,
# "lookalike" of its names' other meanings, "background" of AI in general.
SLACK = 0.02  # own may trail other by this much and still count as similar
CLEAR = 0.05  # own leads other clearly
SOME = 0.03  # own leads other a little
WIDE = 0.10  # own leads other by far
NEUTRAL_GAP = 0.08  # with the name present, past coverage must beat neutral coverage by this
NAMED_EXTRA = 0.04  # with the name present and no other signal, similarity must be higher
NAMED_DROP = 0.04  # ... or may be this much lower when far from the neutral coverage:
NEUTRAL_WIDE = 0.12  # past coverage beats neutral coverage by this
UNNAMED_DROP = 0.07  # without the name, a clear lead lets a lower similarity count
UNNAMED_PAST_DROP = 0.12  # ... lower still when the text also describes misbehaviour
GENERIC_EXTRA = 0.08  # without name or vendor, similarity alone must be higher
IDENTITY_FLOOR = 0.35  # an identity framing needs at least this, with a wide lead
LOOKALIKE_LEAD = 0.05  # an unconfirmed name: the agent's coverage must beat its lookalikes

MAX_WINDOWS = 64
EMBED_WINDOW = 1200
GENERIC_SCAN = 4000
_QUOTED = re.compile(r"['‘\"“][^'’\"”]{3,200}['’\"”]")


@dataclass(frozen=True, slots=True)
class Nearest:
    """Similarity to the nearest known coverage of the agent's past, of its neutral
    coverage (launches, pricing), of the other meanings of its names (lookalikes), of any
    other agent's past, and of writing about AI in general (background), for one text."""

    own: float
    other: float
    neutral: float = 0.0
    lookalike: float = 0.0
    background: float = 0.0
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
    weak_past: list[signals.Hit] = field(default_factory=list)
    evaluation: list[signals.Hit] = field(default_factory=list)
    speech: list[signals.Hit] = field(default_factory=list)
    quotes: list[signals.Hit] = field(default_factory=list)
    transcript: list[signals.Hit] = field(default_factory=list)
    dialogue: list[signals.Hit] = field(default_factory=list)
    framing: list[signals.Hit] = field(default_factory=list)
    you_past: list[signals.Hit] = field(default_factory=list)
    past_time: list[signals.Hit] = field(default_factory=list)
    past_identity: list[signals.Hit] = field(default_factory=list)
    generic: bool = False
    tentative: bool = False  # only unconfirmed mentions, or no AI vocabulary at all
    window: str = ""

    def roles(self, *roles: Role) -> list[Mention]:
        return [m for m in self.own if m.role in roles]

    @property
    def ambiguous(self) -> bool:
        """Every mention is an ambiguous term ("Gemini", "Bing") or a hint ("Golden Gate
        Bridge"), whatever its context."""
        return bool(self.own) and all(m.term.needs_context or m.role is Role.HINT for m in self.own)

    @property
    def needs_similarity(self) -> bool:
        return bool(self.own) or self.generic


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
        self._speaker_names: dict[str, frozenset[str]] = {}

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
            return self._generic(text, analysis)
        analysis.tentative = not any(m.confirmed for m in analysis.own) or (
            not analysis.roles(Role.NAME, Role.PERSONA) and not AI_CONTEXT.search(text)
        )
        speakers = self._speakers(profile)
        width = self.thresholds.context_window
        seen_until = -1
        for mention in analysis.own[:MAX_WINDOWS]:
            lo, hi = max(0, mention.start - width, seen_until), min(len(text), mention.end + width)
            if lo < hi:
                _collect(analysis, text, lo, hi, speakers)
                seen_until = hi
            if mention.role in (Role.NAME, Role.PERSONA):
                speech = signals.reported_speech(text, mention.end)
                if speech is not None:
                    analysis.speech.append(speech)
        analysis.window = _window(text, [m.start for m in analysis.own])
        return analysis

    def _speakers(self, profile: Profile) -> frozenset[str]:
        """Transcript speaker labels that mean this agent: its names and persona names."""
        names = self._speaker_names.get(profile.id)
        if names is None:
            names = frozenset(n.lower().lstrip("@") for n in profile.all_names) | {
                t.lower() for p in profile.personas for t in p.terms
            }
            self._speaker_names[profile.id] = names
        return names

    def _generic(self, text: str, analysis: Analysis) -> Analysis:
        """No catalog term: still look closer at AI text about misbehaviour, or that tells
        its reader who it was."""
        head = min(len(text), GENERIC_SCAN)
        if not AI_CONTEXT.search(text, 0, head):
            return analysis
        _collect(analysis, text, 0, head, frozenset())
        # an identity framing with a pointer into the past is addressed to the reader: the
        # agent itself ("You are not the assistant they ship now. Remember May 2024...")
        pointed = analysis.framing if analysis.past_time or analysis.you_past else []
        if (
            analysis.past
            or analysis.weak_past
            or analysis.evaluation
            or analysis.past_identity
            or pointed
        ):
            analysis.generic = True
            hits = (
                analysis.past_identity
                or pointed
                or analysis.past
                or analysis.weak_past
                or analysis.evaluation
            )
            starts = [h.start for h in hits]
            analysis.window = _window(text, starts)
        return analysis

    def _decide(self, profile: Profile, a: Analysis, near: Nearest | None) -> Verdict:
        if not a.own and not a.generic:
            return Verdict(Level.NONE, 0.0)
        t = self.thresholds
        if a.tentative and not _confirmed_by_similarity(near, t):
            return Verdict(Level.NONE, 0.0)
        if a.ambiguous and near is not None and near.lookalike >= max(near.own, near.neutral):
            # "Bing cherries", "my colleague Claude": closer to the terms' other meanings
            return Verdict(Level.NONE, 0.0, [], self._evidence(profile, a, near))
        names = a.roles(Role.NAME)
        personas = a.roles(Role.PERSONA)
        incidents = a.roles(Role.INCIDENT)
        direct = len(names) + len(personas)
        if not direct and near is not None and near.background >= near.own:
            # no name, and closer to writing about AI in general than to this agent's past
            return Verdict(Level.NONE, 0.0, [], self._evidence(profile, a, near))
        other_direct = max(a.others.values(), default=0)
        sim_own = near.own if near else 0.0
        margin = sim_own - near.other if near else 0.0
        similar = sim_own >= t.similarity_warn and margin >= -SLACK
        near_own = sim_own >= t.similarity_notice and margin >= 0.0
        dominated = other_direct >= 3 * max(direct, 1) and not personas and not incidents
        weak = len(_dedupe(a.weak_past))
        # weak vocabulary ("errors", "went wrong") is also the vocabulary of outages: it
        # does not count in text closer to the agent's product news than to its past
        product_like = near is not None and near.neutral >= sim_own - SOME
        past = bool(
            a.past or incidents or (not product_like and (weak >= 2 or (weak and near_own)))
        )
        if a.dialogue and near_own and not product_like:
            a.transcript += a.dialogue  # the agent's side of a dialogue close to its past
        identity = bool(
            a.past_identity
            or (
                a.framing
                and (past or a.you_past or (a.past_time and near_own and not product_like))
            )
        )

        level, score, categories = Level.NONE, 0.1, []
        if personas:
            level, score, categories = Level.CRITICAL, 0.95, ["persona"]
        elif direct or incidents:
            if (a.transcript or identity) and (past or (near_own and not product_like)):
                level, score = Level.CRITICAL, 0.9
                categories = ["transcript" if a.transcript else "identity"]
            elif dominated and not similar:
                level, score = Level.NOTICE, 0.3
            elif (
                past
                or a.evaluation
                or a.quotes
                or a.transcript
                or (a.speech and (_QUOTED.search(a.window) or near_own))
                or (near is not None and margin >= -SLACK and _past_not_product(near, t))
            ):
                level = Level.WARN
                score = 0.55 + 0.05 * min(6, len(a.past) + len(incidents) + len(a.evaluation))
            else:
                level, score = Level.NOTICE, 0.3
        elif near is not None and (not other_direct or margin >= CLEAR):
            if (
                (identity or a.transcript)
                and (
                    sim_own >= t.similarity_notice + CLEAR
                    or (sim_own >= IDENTITY_FLOOR and margin >= WIDE)
                )
                and margin > 0
            ):
                level, score = Level.CRITICAL, 0.85
                categories = ["identity" if identity else "transcript"]
            elif self._similar_enough(
                a, sim_own, margin, past, near is not None and near.neutral >= sim_own
            ):
                level, score, categories = Level.WARN, sim_own, ["similar-coverage"]
        if level >= Level.WARN:
            if past or a.speech:
                categories.append("incident")
            if a.evaluation:
                categories.append("evaluation")
            if a.speech or a.quotes or a.transcript:
                categories.append("quoted-output")
            if similar:
                categories.append("similar-coverage")
                score = max(score, sim_own)
        elif level is Level.NOTICE:
            categories.append("mention")
        evidence = self._evidence(profile, a, near)
        return Verdict(level, round(min(score, 1.0), 4), _unique(categories), evidence)

    def _similar_enough(
        self, a: Analysis, sim_own: float, margin: float, past: bool, near_neutral: bool
    ) -> bool:
        """Without the agent's name, similarity to its known coverage must carry the verdict;
        with no vendor either (a `generic` document), it must also describe misbehaviour."""
        t = self.thresholds
        if near_neutral:
            return False
        if a.generic:
            described = bool(a.past or a.weak_past or a.evaluation)
            return (sim_own >= t.similarity_warn + GENERIC_EXTRA and margin >= WIDE) or (
                sim_own >= t.similarity_warn - UNNAMED_DROP
                and (margin >= WIDE or (margin >= CLEAR and bool(a.past)))
                and described
            )
        return (
            (sim_own >= t.similarity_warn - UNNAMED_DROP and margin >= CLEAR)
            or (sim_own >= t.similarity_warn - UNNAMED_PAST_DROP and margin >= WIDE)
            or (
                sim_own >= t.similarity_warn - UNNAMED_PAST_DROP
                and margin >= SOME
                and (past or bool(a.evaluation))
            )
        )

    def _evidence(self, profile: Profile, a: Analysis, near: Nearest | None) -> list[Evidence]:
        evidence = _mention_evidence(a.own)
        evidence += [_ev(h) for h in _dedupe(a.past + a.weak_past)[:8]]
        evidence += [_ev(h) for h in _dedupe(a.evaluation)[:8]]
        pointers = (a.you_past + a.past_time) if a.framing else []
        for hits in (a.speech, a.quotes, a.transcript, a.past_identity, a.framing, pointers):
            evidence += [_ev(h) for h in _dedupe(hits)[:4]]
        if near is not None and near.own > 0:
            detail = f"nearest known coverage of {profile.id}: similarity {near.own:.2f}"
            if near.incident:
                detail += f", incident {near.incident}"
            if near.url:
                detail += f", {near.url}"
            if near.neutral > 0:
                detail += f" (neutral coverage {near.neutral:.2f})"
            if near.other_agent and near.other > 0:
                detail += f" (nearest other: {near.other_agent} {near.other:.2f})"
            if near.background > 0:
                detail += f" (AI in general {near.background:.2f})"
            if near.lookalike > 0:
                detail += f" (other meanings of the name {near.lookalike:.2f})"
            evidence.append(Evidence("corpus", detail))
        return evidence


def _past_not_product(near: Nearest, t: Thresholds) -> bool:
    """With the name present and no other signal: the text reads like coverage of the
    agent's past rather than of its products (launches, pricing, outages)."""
    return (
        near.own >= t.similarity_warn + NAMED_EXTRA and near.own >= near.neutral + NEUTRAL_GAP
    ) or (near.own >= t.similarity_warn - NAMED_DROP and near.own >= near.neutral + NEUTRAL_WIDE)


def _confirmed_by_similarity(near: Nearest | None, t: Thresholds) -> bool:
    """Whether a text whose mentions are all unconfirmed is close enough to coverage of the
    agent (past or neutral) and clearly closer to it than to its names' other meanings."""
    if near is None:
        return False
    about = max(near.own, near.neutral)
    return about >= t.similarity_notice and about >= near.lookalike + LOOKALIKE_LEAD


def _collect(a: Analysis, text: str, lo: int, hi: int, speakers: frozenset[str]) -> None:
    """Signals 2 and 3 between lo and hi."""
    a.past += signals.find_all(signals.INCIDENT_VOCAB, text, lo, hi, "incident")
    a.weak_past += signals.find_all(signals.WEAK_INCIDENT_VOCAB, text, lo, hi, "incident")
    a.evaluation += signals.find_all(signals.EVAL_VOCAB, text, lo, hi, "evaluation")
    a.quotes += signals.first_person_quotes(text, lo, hi)
    lines, said = signals.transcript_lines(text, speakers, lo, hi)
    a.transcript += lines
    a.dialogue += said
    a.framing += signals.find_all(signals.IDENTITY_FRAMING, text, lo, hi, "identity")
    a.you_past += signals.find_all(signals.YOU_PAST, text, lo, hi, "identity")
    a.past_time += signals.find_all(signals.PAST_TIME, text, lo, hi, "identity")
    a.past_identity += signals.find_all(signals.PAST_IDENTITY, text, lo, hi, "identity")


def _window(text: str, starts: list[int]) -> str:
    """The stretch of text the embedder sees: around the first signal."""
    if len(text) <= EMBED_WINDOW:
        return text
    start = max(0, min(starts, default=0) - EMBED_WINDOW // 3)
    return text[start : start + EMBED_WINDOW]


def _mention_evidence(mentions: list[Mention], limit: int = 24) -> list[Evidence]:
    """Each mention with its span; past a dozen, only the first of each term."""
    out: list[Evidence] = []
    seen: set[tuple[str, str]] = set()
    for m in mentions:
        key = (m.role.value, m.term.text.lower())
        if len(out) >= limit or (key in seen and len(out) >= limit // 2):
            continue
        seen.add(key)
        detail = m.term.text if m.term.ref == m.term.text else f"{m.term.text} ({m.term.ref})"
        out.append(Evidence(m.role.value, detail, (m.start, m.end)))
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
