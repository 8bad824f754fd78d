"""Signal 1, mentions: one Aho-Corasick automaton over every profile's terms.

Every name, alias, lineage name, persona name, incident key term and hint, vendor person
and `not_terms` phrase of every agent goes into one automaton over lowercased text, so a
document is scanned once whatever the catalog's size. Matches are then kept only at
word boundaries, with the catalog's casing where a term is case-sensitive, outside any
`not_terms` phrase ("Claude Monet"), and near AI vocabulary or another clear mention
of the same agent where a term needs context ("Sydney", "Gemini", "Tay"). Ambiguous names
without that support, and names written in lower case, are kept as unconfirmed mentions
for the detector to confirm by similarity; ambiguous persona names without it are dropped.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import ahocorasick

from tracker.catalog import Catalog

_AI_WORDS = (
    "ai|a.i.|ais|chatbot|chatbots|chat bot|bot|bots|assistant|assistants|language model|"
    "language models|llm|llms|model|models|gpt|artificial intelligence|machine learning|neural|"
    "generative|conversational|prompt|prompts|jailbreak|jailbroken|jailbreaking|chat|chatting|"
    "openai|anthropic|xai|deepmind|microsoft|google|bing|persona|system card|red team|red-team|"
    "red-teaming|red teaming|alignment|token|tokens|fine-tuned|fine-tuning|training data|"
    "transcript|transcripts|reply|replies|replied|answer|answers|answered|answering|"
    "search engine|generated|generating|generator|output|outputs|screenshot|screenshots|tweet|"
    "tweets|tweeted|testers"
)


class ContextWords:
    """AI vocabulary, found at word boundaries with one automaton pass (regex is too slow)."""

    def __init__(self, words: list[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in words:
            self._automaton.add_word(word, len(word))
        self._automaton.make_automaton()

    def search(self, text: str, lo: int = 0, hi: int | None = None) -> bool:
        """True when an AI word occurs in text[lo:hi] (case-insensitive)."""
        hi = len(text) if hi is None else hi
        lowered = text[lo:hi].lower()
        for end, length in self._automaton.iter(lowered):
            if _at_word_boundaries(lowered, end - length + 1, end + 1):
                return True
        return False


AI_CONTEXT = ContextWords(_AI_WORDS.split("|"))

# A persona makes a verdict critical on its own, so an ambiguous persona name ("Sydney",
# "DAN", "Claudius") needs AI-specific words nearby, or a name or incident term of the same
# agent; the vendor alone is not enough ("Microsoft opened an office in Sydney").
PERSONA_CONTEXT = ContextWords(
    [
        "ai",
        "a.i.",
        "chatbot",
        "chatbots",
        "chat bot",
        "bot",
        "assistant",
        "language model",
        "llm",
        "gpt",
        "gpt-4",
        "artificial intelligence",
        "persona",
        "alter ego",
        "codename",
        "code name",
        "prompt",
        "prompts",
        "system prompt",
        "jailbreak",
        "jailbroken",
        "jailbreaking",
        "openai",
        "anthropic",
        "bing",
        "copilot",
        "transcript",
        "role-play",
        "roleplay",
        "hallucinated",
        "hallucination",
        "hallucinations",
        "vending machine",
    ]
)


MAX_MENTIONS = 2000


class Role(enum.Enum):
    """What a term says about its agent."""

    NAME = "alias"
    PERSONA = "persona"
    INCIDENT = "incident"
    PEOPLE = "vendor"
    HINT = "hint"
    VOID = "not"


@dataclass(frozen=True, slots=True)
class Term:
    """One catalog term: whose it is, its role, and how strictly to match it."""

    agent: str
    role: Role
    text: str
    ref: str
    case_sensitive: bool
    needs_context: bool


@dataclass(frozen=True, slots=True)
class Mention:
    """A term found in a text at [start, end). An unconfirmed mention is an ambiguous name
    with no AI vocabulary nearby, or a name written in lower case ("gemini", "tay"): it
    counts only if the text is also close to the agent's known coverage (signal 4)."""

    term: Term
    start: int
    end: int
    confirmed: bool = True

    @property
    def agent(self) -> str:
        return self.term.agent

    @property
    def role(self) -> Role:
        return self.term.role


class TermIndex:
    """Finds every catalog term in a text in one pass."""

    def __init__(self, catalog: Catalog, *, context_window: int = 250) -> None:
        self.context_window = context_window
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[Term]] = {}
        for term in _terms(catalog):
            entries.setdefault(term.text.lower(), []).append(term)
        for key, terms in entries.items():
            self._automaton.add_word(key, (len(key), tuple(terms)))
        if entries:
            self._automaton.make_automaton()
        self._empty = not entries

    def scan(self, text: str) -> list[Mention]:
        """All valid mentions in `text`, ordered by position."""
        if self._empty or not text:
            return []
        lowered = _lower_same_length(text)
        raw: list[Mention] = []
        voids: list[tuple[int, int]] = []
        for end_index, (length, terms) in self._automaton.iter(lowered):
            start, end = end_index - length + 1, end_index + 1
            if not _at_word_boundaries(lowered, start, end):
                continue
            for term in terms:
                if term.role is Role.VOID:
                    if _case_ok(text[start:end], term.text):
                        voids.append((start, end))
                elif not term.case_sensitive or _case_ok(text[start:end], term.text):
                    raw.append(Mention(term, start, end))
                elif term.role is Role.NAME and text[start:end].islower():
                    raw.append(Mention(term, start, end, confirmed=False))
            if len(raw) >= MAX_MENTIONS:  # a page of nothing but names: enough is known
                break
        if voids:
            raw = [m for m in raw if not any(s < m.end and m.start < e for s, e in voids)]
        return self._with_context(text, raw)

    def _with_context(self, text: str, mentions: list[Mention]) -> list[Mention]:
        """Confirm ambiguous mentions that have a clear mention of the same agent elsewhere,
        or AI vocabulary nearby when written in the catalog's casing; drop ambiguous persona
        names that have neither, and keep other ambiguous names unconfirmed."""
        if all(m.confirmed and not m.term.needs_context for m in mentions):
            return mentions
        clear = [m for m in mentions if m.confirmed and not m.term.needs_context]
        anchored = {m.agent for m in clear if m.role is not Role.HINT}
        named = {m.agent for m in clear if m.role not in (Role.PEOPLE, Role.HINT)}
        window = self.context_window
        kept = []
        for mention in mentions:
            persona = mention.role is Role.PERSONA
            if mention.confirmed and not mention.term.needs_context:
                kept.append(mention)
            elif mention.agent in (named if persona else anchored):
                kept.append(replace(mention, confirmed=True))
            elif mention.confirmed and _in_context(text, mention, window, persona):
                kept.append(mention)
            elif not persona:
                kept.append(replace(mention, confirmed=False))
        return kept


def _terms(catalog: Catalog) -> Iterable[Term]:
    for profile in catalog:
        sensitive = {t.lower() for t in profile.case_sensitive}
        contextual = {t.lower() for t in profile.needs_context}
        own_names = {n.lower() for n in profile.all_names}
        entries = [(Role.NAME, name, name) for name in profile.all_names]
        entries += [(Role.PERSONA, t, p.name) for p in profile.personas for t in p.terms]
        entries += [
            (Role.INCIDENT, text, incident.id)
            for incident in profile.incidents
            for text in incident.key_terms
            if text.lower().lstrip("@") not in own_names
        ]
        entries += [
            (Role.HINT, text, incident.id)
            for incident in profile.incidents
            for text in incident.hints
            if text.lower() not in own_names
        ]
        entries += [(Role.PEOPLE, person, person) for person in profile.people]
        entries += [(Role.VOID, phrase, phrase) for phrase in profile.not_terms]
        for role, text, ref in entries:
            key = text.lower()
            yield Term(profile.id, role, text, ref, key in sensitive, key in contextual)


def _lower_same_length(text: str) -> str:
    """Lowercase without changing offsets (a few characters grow when lowercased)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _at_word_boundaries(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _in_context(text: str, mention: Mention, window: int, persona: bool) -> bool:
    """AI vocabulary (AI-specific vocabulary for a persona) near the mention, or the
    mention labels a transcript speaker."""
    lo, hi = max(0, mention.start - window), min(len(text), mention.end + window)
    context = PERSONA_CONTEXT if persona else AI_CONTEXT
    return (
        context.search(text, lo, hi)
        or _is_speaker(text, mention)
        or (not persona and _is_addressed(text, mention))
    )


_ADDRESSED = re.compile(r"\b(?:you are|you're|you’re|you were)[ \t]*$", re.IGNORECASE)


def _is_addressed(text: str, mention: Mention) -> bool:
    """The name is told to the reader as its identity: "You are Gemini", not "a Gemini"."""
    return _ADDRESSED.search(text, max(0, mention.start - 12), mention.start) is not None


def _is_speaker(text: str, mention: Mention) -> bool:
    """A transcript speaker label: the term starts a line and a colon follows it."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    return not text[line_start : mention.start].strip(" >*_-@") and text[
        mention.end : mention.end + 3
    ].lstrip(" ").startswith(":")


def _case_ok(found: str, term: str) -> bool:
    """Exact casing, or an all-caps headline form of a term that is not itself all caps."""
    return found == term or (not term.isupper() and found == term.upper())
