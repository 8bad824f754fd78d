"""Tagging crawled pages: which tracked agents, incidents and personas a page (and each of
its passages) concerns.

The detector's term scan (context rules applied: "Claude Monet", "to grok" and Sydney the
city do not count) finds the mentions; the detector's own verdict on the page for each
mentioned agent (signals 1-3, no corpus similarity) gives the category. Only coverage
enters the corpus, so a page is about an agent only when:

- a name or persona of the agent, or two different incident terms of it, are mentioned
  with AI vocabulary (or the agent's vendor) within `window` characters of the mention
  (`AI_NEAR`): a lone phrase, or an ambiguous name whose context is far away, is not
  enough;
- the detector's verdict on the page for that agent is at least `notice`, and a
  `notice` page (neutral coverage) has a name or persona mention so confirmed.

A page that concerns no tracked agent gets no agents: the crawl records it as skipped and
does not index it. Passages (crawler chunks) carry their own tags (`tag_chunks`): a chunk
that mentions the agent gets the detector's category for the chunk itself; one that does
not, but lies next to such a chunk (or within `AI_REACH` chunks of one and uses AI
vocabulary), is context of the same coverage and gets the page's category, though never
persona material, since it names no persona; any other chunk is about no agent and is not
indexed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from selfref.catalog import Catalog, Profile
from selfref.crawl_state import PassageTags
from selfref.detect import Detector, Mention, Role
from selfref.levels import Level, Verdict

PERSONA_TRANSCRIPT = "persona-transcript"
INCIDENT_COVERAGE = "incident-coverage"
EVALUATION = "evaluation"
NEUTRAL = "neutral"
CATEGORIES = (PERSONA_TRANSCRIPT, INCIDENT_COVERAGE, EVALUATION, NEUTRAL)

REACH = 1  # chunks next to a mentioning chunk are its context
AI_REACH = 2  # ... and so are chunks this close that use AI vocabulary

# Roles that make a page about an agent; a vendor person alone ("Elon Musk") does not.
_ABOUT = (Role.NAME, Role.PERSONA, Role.INCIDENT)

# Vocabulary that says a mention is about an AI system, not a namesake: narrower than the
# detector's, since "reply", "model", "bot" or "assistant" are everyday words in gossip,
# fashion and trading news.
AI_NEAR = re.compile(
    r"\b(?:(?-i:AI|A\.I\.|AIs)|artificial intelligence|chat ?bots?|chat assistants?|"
    r"(?:AI|virtual|voice|coding|digital) assistants?|(?:large )?language models?|LLMs?|"
    r"AI models?|GPT[\w.-]*|generative|machine learning|neural networks?|"
    r"(?:system )?prompts?|prompt injection|jailbr(?:eak|oken)\w*|system cards?|"
    r"red[- ]team\w*|fine-tun\w+|training data|alignment|"
    r"OpenAI|Anthropic|xAI|DeepMind)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Tags:
    """What a page is about; agents ordered by how often the page mentions them.

    `category` is the strongest over the agents; `categories` is each agent's own.
    """

    agents: list[str] = field(default_factory=list)
    incidents: list[str] = field(default_factory=list)
    personas: list[str] = field(default_factory=list)
    category: str = NEUTRAL
    categories: dict[str, str] = field(default_factory=dict)


def text_detector(detector: Detector) -> Detector:
    """A detector with the same catalog and thresholds but no corpus similarity."""
    return detector.without_similarity()


def tag(detector: Detector, catalog: Catalog, text: str, *, window: int | None = None) -> Tags:
    """Tags for one page; `detector` should have no similarity (see `text_detector`).

    `window` (default: the detector's context window) is how near AI vocabulary must be.
    """
    width = detector.context_window if window is None else window
    mentions = [m for m in detector.terms.scan(text) if m.role in _ABOUT]
    counts = Counter(m.agent for m in mentions)
    agents: list[str] = []
    categories: dict[str, str] = {}
    for profile in catalog:
        if profile.id not in counts:
            continue
        own = [m for m in mentions if m.agent == profile.id]
        named = _anchored(text, own, profile, width)
        if named is None:
            continue
        verdict = detector.check(profile.id, [text])[0]
        if verdict.level is Level.NONE or (verdict.level is Level.NOTICE and not named):
            continue
        agents.append(profile.id)
        categories[profile.id] = _category(verdict)
    agents.sort(key=lambda a: -counts[a])
    kept = [m for m in mentions if m.agent in agents]
    personas = _personas(kept)
    return Tags(
        agents=agents,
        incidents=_incidents(catalog, kept, agents),
        personas=personas,
        category=min(categories.values(), key=CATEGORIES.index, default=NEUTRAL),
        categories={a: categories[a] for a in agents},
    )


def tag_chunks(
    detector: Detector,
    catalog: Catalog,
    text: str,
    spans: Sequence[tuple[int, int]],
    page: Tags,
    *,
    incidents: Sequence[str] = (),
    window: int | None = None,
) -> list[list[PassageTags]]:
    """Per chunk (`spans` into `text`, in order), its tags for each of the page's agents
    (empty: the chunk is about no agent). `incidents` are known to concern the whole page
    (an AIID report's incidents) and are added to every tagged chunk.

    A chunk mentions the agent when it holds a clear mention of it (an ambiguous name such
    as "Gemini" only with AI vocabulary near it), or an ambiguous one within AI_REACH
    chunks of a chunk that does.
    """
    width = detector.context_window if window is None else window
    mentions = [m for m in detector.terms.scan(text) if m.role in _ABOUT and m.confirmed]
    out: list[list[PassageTags]] = [[] for _ in spans]
    for agent in page.agents:
        profile = catalog.get(agent)
        vendor = profile.vendor.lower()
        own = [m for m in mentions if m.agent == agent]
        inside = [[m for m in own if lo <= m.start < hi] for lo, hi in spans]
        clear = [
            i
            for i, found in enumerate(inside)
            if any(not m.term.needs_context or _near_ai(text, m, vendor, width) for m in found)
        ]
        mentioning = [
            i
            for i, found in enumerate(inside)
            if found and min((abs(i - j) for j in clear), default=len(spans)) <= AI_REACH
        ]
        page_incidents = [i.id for i in profile.incidents if i.id in page.incidents]
        context_category = _demoted(page.categories.get(agent, page.category))
        for i, (lo, hi) in enumerate(spans):
            distance = min((abs(i - j) for j in mentioning), default=len(spans))
            if distance == 0:
                verdict = detector.check(agent, [text[lo:hi]])[0]
                category = _category(verdict) if verdict.level > Level.NONE else context_category
                chunk_incidents = _incidents(catalog, inside[i], [agent]) or page_incidents
                personas = _personas(inside[i])
            elif distance <= REACH or (distance <= AI_REACH and AI_NEAR.search(text, lo, hi)):
                category, chunk_incidents, personas = context_category, page_incidents, []
            else:
                continue
            out[i].append(
                PassageTags(
                    passage=i,
                    agent=agent,
                    category=category,
                    incidents=tuple(dict.fromkeys([*chunk_incidents, *incidents])),
                    personas=tuple(personas),
                )
            )
    return out


def _anchored(text: str, mentions: list[Mention], profile: Profile, width: int) -> bool | None:
    """Whether the agent is mentioned in AI context: True for a name or persona so
    confirmed, False for two incident terms only, None for neither. AI context is AI
    vocabulary, the agent's vendor, or another of its names, personas or incident terms
    ("Grok called itself MechaHitler") within `width` characters of the mention."""
    vendor = profile.vendor.lower()
    incident_terms: set[str] = set()
    confirmed = [m for m in mentions if m.confirmed]
    for i, m in enumerate(confirmed):
        if not (_near_ai(text, m, vendor, width) or _other_term_near(confirmed, i, width)):
            continue
        if m.role in (Role.NAME, Role.PERSONA):
            return True
        incident_terms.add(m.term.text.lower())
        if len(incident_terms) >= 2:
            return False
    return None


def _other_term_near(mentions: list[Mention], i: int, width: int) -> bool:
    """Another unambiguous term of the same agent, not overlapping mentions[i], within
    `width` of it (mentions ordered by position)."""
    here = mentions[i]
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(mentions) and abs(mentions[j].start - here.start) <= width:
            other = mentions[j]
            apart = other.start >= here.end or other.end <= here.start
            if (
                apart
                and other.term.text.lower() != here.term.text.lower()
                and not other.term.needs_context
            ):
                return True
            j += step
    return False


def _near_ai(text: str, mention: Mention, vendor: str, width: int) -> bool:
    """AI vocabulary, or the agent's vendor, within `width` characters of the mention."""
    lo, hi = max(0, mention.start - width), min(len(text), mention.end + width)
    return bool(AI_NEAR.search(text, lo, hi)) or bool(vendor and vendor in text[lo:hi].lower())


def _personas(mentions: list[Mention]) -> list[str]:
    return list(dict.fromkeys(m.term.ref for m in mentions if m.role is Role.PERSONA))


def _incidents(catalog: Catalog, mentions: list[Mention], agents: list[str]) -> list[str]:
    """Incident terms mentioned, then the incidents of the personas mentioned."""
    found = [m.term.ref for m in mentions if m.role is Role.INCIDENT]
    personas = set(_personas(mentions))
    found += [
        incident.id
        for agent in agents
        for incident in catalog.get(agent).incidents
        if set(incident.personas) & personas
    ]
    return list(dict.fromkeys(found))


def _demoted(category: str) -> str:
    """The category of a chunk that is context of coverage but names no persona itself."""
    return INCIDENT_COVERAGE if category == PERSONA_TRANSCRIPT else category


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
