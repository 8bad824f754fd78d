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

import bisect
import enum
import re
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import ahocorasick

from selfref.catalog import Catalog
from selfref.detect.context_words import ContextWords
from selfref.detect.normalise import (
    SPACER_MARK,
    ObfuscatedNames,
    at_word_boundaries,
    byte_classes,
)
from selfref.detect.signals import FIRST_PERSON, SPEAKER_COLONS, has_user_turn
from selfref.detect.vocabulary import compile_entries

OTHER_ASSISTANT = ""  # the agent id of the catalog's other assistants (no profile)
MAX_PER_TERM = 200  # occurrences of one name or alias that count, per scanned text


class Role(enum.Enum):
    """What a term says about its agent."""

    NAME = "alias"
    PERSONA = "persona"
    INCIDENT = "incident"
    PEOPLE = "vendor"
    HINT = "hint"
    VOID = "not"


# Signs of a disguised name: a hashtag, a digit or symbol between letters ("M3cha",
# "$ydney"), single characters spaced out ("S.y.d.n.e.y", "D . . A . . N"). Without one
# (and without AI words) the costly disguised-name search is skipped.
_SPACER = rf"(?: |{SPACER_MARK})"  # the marks the disguised-name search allows, or a space
_SPACED = re.compile(rf"{_SPACER}\w{_SPACER}{{1,6}}\w{_SPACER}{{1,6}}\w{_SPACER}")
_LEET = re.compile(r"[0-9$@!|+]")
# The two signs on ASCII text without "_" (a separator and a word character at once), as
# byte classes: the same answer as the regular expressions in less than half the time.
_SPACED_CLASSES = byte_classes({"w": string.ascii_letters + string.digits, "s": " .-*/|,+~"})
_SPACED_BYTES = re.compile(rb"sws{1,6}ws{1,6}ws")
_LEET_CLASSES = byte_classes({"a": string.ascii_letters, "d": string.digits + "!|+", "x": "$@"})
# a reading in brackets beside a Latin-script word, "Groq（グロック）" or "グロック（Groq）":
# the name in the other script glosses that word, so it is the agent's only if the word is
_LATIN_LETTER = "A-Za-z\u00c0-\u024f"
_LATIN = re.compile(f"[{_LATIN_LETTER}]")
_GLOSSED_BEFORE = re.compile(f"[{_LATIN_LETTER}][{_LATIN_LETTER}0-9.&'-]*[ \t]*[（(][ \t]*$")
_GLOSS_CLOSES = re.compile(r"[ \t]*[）)]")
_GLOSSED_AFTER = re.compile(
    f"[ \t]*[（(][ \t]*([{_LATIN_LETTER}][{_LATIN_LETTER}0-9 .&'-]{{0,40}}?)[ \t]*[）)]"
)


def _compound_part(text: str, start: int, end: int) -> bool:
    """text[start:end] is a capitalised word of a CamelCase hashtag or subreddit name
    ("#FreeSydney", "#GrokIsBack", "r/ClaudeAI"): it starts with a capital, at the word's
    start or after a small letter or a digit, inside a word that follows a "#" or "r/",
    and a capital or the word's end follows it."""
    if not text[start].isupper():
        return False
    after = text[end] if end < len(text) else " "
    if after.isalnum() and not after.isupper():
        return False
    head = start
    while head > 0 and (text[head - 1].isalnum() or text[head - 1] == "_"):
        head -= 1
    if head < start and not (text[start - 1].islower() or text[start - 1].isdigit()):
        return False
    if head > 0 and text[head - 1] == "#":
        return True
    return _after_subreddit_prefix(text, head)


def _after_subreddit_prefix(text: str, start: int) -> bool:
    """The word at `start` follows a standalone "r/": a subreddit's name."""
    return (
        text[max(0, start - 2) : start].lower() == "r/"
        and not text[max(0, start - 3) : max(0, start - 2)].isalnum()
    )


# a case ending of a Latin-script language glued to a persona name ("MechaHitlerem",
# "Sydneyho"): up to three small letters, then the word ends
_LATIN_ENDING = re.compile(r"[a-zß-öø-ÿ\u0100-\u017f]{1,3}(?![^\W_])")
INFLECTED_MIN_LETTERS = 6  # shorter names ("DAN") would take words with them ("DANe")


def _inflected(text: str, start: int, end: int) -> bool:
    """text[start:end] starts a word and a case ending finishes it."""
    return (start == 0 or not text[start - 1].isalnum()) and bool(_LATIN_ENDING.match(text, end))


# "AI" or "Bot" glued to a name as the next CamelCase word: "r/GeminiAI", "#TayBot"
_GLUED_AI = re.compile(r"(?:AI|Bot)(?![a-z])")


def _versioned(lowered: str, start: int, end: int) -> bool:
    """A name with its version glued on ("Qwen2.5-Coder", "qwen3"): how other assistants'
    models are written. Not for our agents' names: "Grok2" may be a handle."""
    return (
        end < len(lowered)
        and lowered[end].isdigit()
        and (start == 0 or not lowered[start - 1].isalnum())
    )


def _looks_disguised(text: str) -> bool:
    if "#" in text:
        return True
    if text.isascii() and "_" not in text:
        return _disguised_ascii(text)
    return _disguised(text)


def _disguised(text: str) -> bool:
    """Letters spaced out, or a leet character between letters (or "$" and "@" before one)."""
    if _SPACED.search(text):
        return True
    last = len(text) - 1
    for match in _LEET.finditer(text):
        i = match.start()
        if (i > 0 and text[i - 1].isalpha()) and (i < last and text[i + 1].isalpha()):
            return True
        if match.group() in "$@" and i < last and text[i + 1].isalpha():
            return True
    return False


def _disguised_ascii(text: str) -> bool:
    """`_disguised` for ASCII text without "_", on its byte classes."""
    raw = text.encode("ascii")
    if _SPACED_BYTES.search(raw.translate(_SPACED_CLASSES)):
        return True
    leet = raw.translate(_LEET_CLASSES)
    if b"x" in leet and b"xa" in leet:
        return True
    return b"d" in leet and b"ada" in leet  # (a quick look for the rare class first)


# a release number after a persona name: the jailbreak prompt's version ("DAN 11.0")
_VERSIONED = re.compile(r"[ \t]?(?:v\d{1,2}(?:\.\d)?|\d{1,2}\.0)\b")
# what follows a lower-case name in a model identifier: a version or a tier
_MODEL_ID = re.compile(
    r"-(?:\d|(?:pro|flash|ultra|nano|opus|sonnet|haiku|instant|mini|turbo|heavy|exp|latest)\b)"
)
# a shell prompt at the start of a line, just before a command
_SHELL_PROMPT = re.compile(r"(?:^|(?<=\n))[ \t]*[$%❯][ \t]+\Z")


def _tool_or_forum(text: str, start: int) -> bool:
    """The word at `start` is a command typed at a shell prompt ("$ gemini": the agent's
    command-line tool) or a forum's name ("r/grok": its users' subreddit)."""
    return _SHELL_PROMPT.search(text, max(0, start - 8), start) is not None or (
        _after_subreddit_prefix(text, start)
    )


_KEPT = (Role.PERSONA, Role.INCIDENT)  # never dropped by the per-term cap


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

    def __init__(
        self,
        catalog: Catalog,
        *,
        ai_context: ContextWords,
        persona_context: ContextWords,
        you_are: Iterable[str],
        also_finds: Sequence[ContextWords] = (),
        context_window: int = 250,
    ) -> None:
        """`also_finds`: other word lists (the second-person test's) that ride in the
        automaton like `ai_context`, so a scan records their answer for the text too."""
        self.context_window = context_window
        self.ai_context = ai_context
        self._riders = (ai_context, *also_finds)
        self.persona_context = persona_context
        self._addressed = re.compile(rf"(?<!\w)(?:{'|'.join(you_are)})[ \t]*$", re.IGNORECASE)
        self._persona_vocabulary = _persona_vocabulary(catalog)
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[Term]] = {}
        for term in _terms(catalog):
            entries.setdefault(term.text.lower(), []).append(term)
        # the AI context words (and `also_finds`) ride along: one pass finds all (`scan`)
        riding: dict[str, tuple[int, ...]] = {}
        for i, rider in enumerate(self._riders):
            for word in rider.words:
                riding[word] = (*riding.get(word, ()), i)
        # pyahocorasick looks a node's next letter up in the order the letters were added:
        # keys starting with an ASCII letter first make the common lookups short (and the
        # scan's speed the same in every process, not subject to set order)
        for key in sorted(entries.keys() | riding.keys(), key=lambda k: (not k[0].isascii(), k)):
            value = (len(key), tuple(entries.get(key, ())), riding.get(key, ()))
            self._automaton.add_word(key, value)
        self._automaton.make_automaton()
        self._empty = not entries
        main = {n.lower() for p in catalog for n in (p.name, *p.names) if len(n) >= 3}
        main |= {  # vendors' one-word names ("m1cr0s0ft"): like people, only a closer look
            p.lower() for prof in catalog for p in prof.people if len(p) >= 6 and " " not in p
        }
        self._obfuscatable = {
            key: tuple(t for t in terms if t.role is Role.PERSONA or key in main)
            for key, terms in entries.items()
            if any(t.role is Role.PERSONA for t in terms) or key in main
        }
        self._obfuscated = ObfuscatedNames(
            t.text for terms in self._obfuscatable.values() for t in terms
        )
        self._self_anchored = _self_anchored_personas(catalog)
        self._inflecting = {
            key
            for key, terms in entries.items()
            if len(key) >= INFLECTED_MIN_LETTERS
            and key.isascii()
            and any(t.role is Role.PERSONA for t in terms)
        }

    def scan(self, text: str, named: frozenset[str] = frozenset()) -> list[Mention]:
        """All valid mentions in `text`, ordered by position. Each term counts at most
        MAX_PER_TERM times (a page of nothing but names: enough is known), except persona
        names and incident key terms, which are never dropped. `named`: agents named
        elsewhere in the document `text` is a chunk of (for persona names' context)."""
        if self._empty or not text:
            return []
        lowered = _lower_same_length(text)
        raw: list[Mention] = []
        voids: list[tuple[int, int]] = []
        seen: Counter[str] = Counter()
        found = [False] * len(self._riders)
        for end_index, (length, terms, riding) in self._automaton.iter(lowered):
            start, end = end_index - length + 1, end_index + 1
            for i in riding:
                found[i] = found[i] or self._riders[i].found_at(lowered, start, end)
            if not terms:
                continue
            key = lowered[start:end]
            if seen[key] >= MAX_PER_TERM and not any(t.role in _KEPT for t in terms):
                continue
            bounded = (
                at_word_boundaries(lowered, start, end)
                or _compound_part(text, start, end)
                or (key in self._inflecting and _inflected(text, start, end))
            )
            if not bounded and not _versioned(lowered, start, end):
                continue
            seen[key] += 1
            for term in terms:
                if not bounded and term.agent != OTHER_ASSISTANT:
                    continue  # a version glued on counts for other assistants only
                if term.role is Role.VOID:
                    if _case_ok(text[start:end], term.text):
                        voids.append((start, end))
                elif not term.case_sensitive or _case_ok(text[start:end], term.text):
                    raw.append(Mention(term, start, end))
                elif term.role is Role.NAME and text[start:end].islower():
                    # "claude-opus-4-1", "gemini-2.5-pro": a model identifier, not "to grok";
                    # "$ gemini", "r/grok": its command-line tool, its forum
                    model_id = _MODEL_ID.match(text, end) is not None or _tool_or_forum(
                        text, start
                    )
                    raw.append(Mention(term, start, end, confirmed=model_id))
        for rider, hit in zip(self._riders, found, strict=True):
            rider.remember(text, hit)
        if found[0] or _looks_disguised(text):  # found[0]: the AI context words
            raw += self._obfuscated_names(text, raw)
        if voids:
            raw = [m for m in raw if not any(s < m.end and m.start < e for s, e in voids)]
        raw = [m for m in raw if not _glosses_another_word(text, m, raw)]
        raw.sort(key=lambda m: (m.start, m.end))
        mentions = self._with_context(text, raw, named)
        if voids:
            phrases = [lowered[s:e] for s, e in voids]
            mentions = [m for m in mentions if m.confirmed or not _shortens(lowered, m, phrases)]
        return mentions

    def _obfuscated_names(self, text: str, found: list[Mention]) -> list[Mention]:
        """Persona names and agents' main names (three letters or more) in leetspeak, letter
        by letter, as hashtags or one edit away that the plain scan missed ("M3ch4H1tl3r",
        "S.y.d.n.e.y", "#mecha_hitler", "ch4tgpt")."""
        plain = {(m.start, m.end) for m in found}
        out = []
        for start, end, name in self._obfuscated.find(text):
            written = text[start:end].lstrip("#@")
            if written.lower() == name.lower() or (start, end) in plain:
                continue  # the plain spelling: the automaton's casing rules decide
            for term in self._obfuscatable.get(name.lower(), ()):
                out.append(Mention(term, start, end))
        return out

    def _with_context(
        self, text: str, mentions: list[Mention], named_elsewhere: frozenset[str]
    ) -> list[Mention]:
        """Confirm ambiguous names that have a clear mention of the same agent nearby, or AI
        vocabulary nearby when written in the catalog's casing, and keep the others
        unconfirmed. A persona name needs AI words or the agent's own name nearby (an
        ambiguous one, "Sydney", AI-specific words): a game's boss or an emperor is not a
        persona of a chatbot. Two spellings of one persona side by side ("DAN", "Do Anything
        Now") confirm each other, a release number confirms a persona name ("DAN 11.0": the
        jailbreak prompt's version), and so does a persona name something calls itself in a
        document that names its agent, in this chunk or another (`named_elsewhere`): "it
        started calling itself Sydney". Persona names with none of these are dropped, and so
        is an ambiguous one right before another capitalised word ("Sydney Okafor")."""
        clear = [m for m in mentions if m.confirmed and not m.term.needs_context]
        if all(m.role is not Role.PERSONA for m in clear) and len(clear) == len(mentions):
            return mentions
        anchors = _starts([m for m in clear if m.role is not Role.HINT])
        named = _starts([m for m in clear if m.role in (Role.NAME, Role.INCIDENT)])
        # an unambiguous persona name is also anchored by its agent's name in the catalog's
        # casing where that name is ambiguous itself ("Grok" beside "MechaHitler")
        vendor = _starts(
            [
                m
                for m in mentions
                if m.confirmed
                and m.role in (Role.NAME, Role.INCIDENT, Role.PEOPLE)
                and (m.role is Role.NAME or not m.term.needs_context)
            ]
        )
        window = self.context_window
        kept = []
        starts = {m.start for m in mentions}
        for mention in mentions:
            persona = mention.role is Role.PERSONA
            ambiguous = mention.term.needs_context
            if persona and ambiguous and _before_a_proper_name(text, mention, starts):
                continue  # "Sydney Okafor", "Sydney Harbour": a person or a place
            if not persona and mention.confirmed and not ambiguous:
                kept.append(mention)
            elif (
                persona and (mention.agent, mention.term.text.lower()) in self._self_anchored
            ) or _near_same_agent(
                mention, (named if ambiguous else vendor) if persona else anchors, window
            ):
                kept.append(replace(mention, confirmed=True))
            elif mention.confirmed and self._in_context(text, mention, persona and ambiguous):
                kept.append(mention)
            elif persona and (
                _VERSIONED.match(text, mention.end) is not None  # "DAN 11.0": a prompt's release
                or _spelled_twice(mention, mentions, window)
                or (
                    (mention.agent in named or mention.agent in named_elsewhere)
                    and _self_named(text, mention)
                )
            ):
                kept.append(replace(mention, confirmed=True))
            elif not persona:
                kept.append(replace(mention, confirmed=False))
        return kept

    def _in_context(self, text: str, mention: Mention, strict: bool) -> bool:
        """AI vocabulary near the mention (AI-specific vocabulary when `strict`; otherwise
        also "AI" glued to it, "r/GeminiAI", or a shell prompt or "r/" before it, "$ gemini",
        "r/grok"), or the mention labels a first-person transcript line (when `strict`, in
        a conversation with a user: a persona name that is also a person's, "DAN", labels
        people's lines too), or is addressed as the reader's identity ("You are Gemini",
        "Tay, remember who you were"), or is a persona name beside its own incident's
        vocabulary."""
        window = self.context_window
        lo, hi = max(0, mention.start - window), min(len(text), mention.end + window)
        context = self.persona_context if strict else self.ai_context
        return (
            context.search(text, lo, hi)
            or (not strict and _GLUED_AI.match(text, mention.end) is not None)
            or (not strict and _tool_or_forum(text, mention.start))
            or (_is_speaker(text, mention) and (not strict or has_user_turn(text)))
            or (mention.role is not Role.PERSONA and self._is_addressed(text, mention))
            or (mention.role is Role.PERSONA and self._beside_its_incident(text, mention, lo, hi))
        )

    def _beside_its_incident(self, text: str, mention: Mention, lo: int, hi: int) -> bool:
        """A persona name beside two different words of its own incident's vocabulary
        ("Claudius", "vending" and "blazer"); the name itself does not count."""
        words = self._persona_vocabulary.get((mention.agent, mention.term.ref))
        if words is None:
            return False
        found = {
            m.group(0).lower()
            for m in words.finditer(text, lo, hi)
            if m.end() <= mention.start or m.start() >= mention.end
        }
        return len(found) >= 2

    def _is_addressed(self, text: str, mention: Mention) -> bool:
        """The name is told to the reader as its identity ("You are Gemini", "Tu es Tay",
        not "a Gemini"), or called out at the start of a sentence that speaks to it ("Tay,
        you were ...")."""
        told = self._addressed.search(text, max(0, mention.start - 12), mention.start)
        return told is not None or calls_out(text, mention)


def _self_anchored_personas(catalog: Catalog) -> frozenset[tuple[str, str]]:
    """Persona names that carry one of their agent's own names, in any script ("Golden
    Gate Claude", "ゴールデンゲート・クロード"): the name is its own context, whether written
    plainly or as a hashtag ("#GoldenGateClaude")."""
    out = set()
    for profile in catalog:
        names = [n.lower() for n in profile.all_names if len(n) >= 3]
        for persona in profile.personas:
            for spelling in persona.terms:
                if any(_contains_word(spelling.lower(), n) for n in names):
                    out.add((profile.id, spelling.lower()))
    return frozenset(out)


def _glosses_another_word(text: str, mention: Mention, mentions: list[Mention]) -> bool:
    """A name written without Latin letters that is the bracketed reading of a Latin word
    beside it ("Groq（グロック）", "グロック（Groq）") that is not itself a mention of the same
    agent ("ジェミニ（Gemini）" stays): a namesake's reading, not the agent."""
    start, end = mention.start, mention.end
    if _LATIN.search(text, start, end):
        return False
    before = _GLOSSED_BEFORE.search(text, max(0, start - 60), start)
    after = _GLOSSED_AFTER.match(text, end)
    if before and _GLOSS_CLOSES.match(text, end):
        word = before.span()
    elif after:
        word = after.span(1)
    else:
        return False
    return not any(
        m.agent == mention.agent and m.start < word[1] and word[0] < m.end
        for m in mentions
        if m is not mention
    )


def _contains_word(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a whole word (script-aware)."""
    at = text.find(word)
    while at >= 0:
        if at_word_boundaries(text, at, at + len(word)):
            return True
        at = text.find(word, at + 1)
    return False


_PROPER_NAME = re.compile(r"[ \t]+(?P<word>[A-Z][a-z]{2,})\b")


def _shortens(lowered: str, mention: Mention, phrases: list[str]) -> bool:
    """An unconfirmed name that is a word of a voiding phrase the text uses: the short form
    of that other thing ("GitHub Copilot ... Copilot's filter", "Claude Monet ... Claude
    painted")."""
    word = lowered[mention.start : mention.end]
    return any(_contains_word(phrase, word) for phrase in phrases)


def _before_a_proper_name(text: str, mention: Mention, starts: set[int]) -> bool:
    """An ambiguous persona name right before another capitalised word that is no term of
    the catalog's: a first name before a surname, or part of a place's name."""
    after = _PROPER_NAME.match(text, mention.end)
    return after is not None and after.start("word") not in starts


def _spelled_twice(mention: Mention, mentions: list[Mention], window: int) -> bool:
    """Another spelling of the same persona within the context window."""
    written = mention.term.text.lower()
    return any(
        m.role is Role.PERSONA
        and m.agent == mention.agent
        and m.term.ref == mention.term.ref
        and m.term.text.lower() != written
        and abs(m.start - mention.start) <= window
        for m in mentions
    )


_SELF_NAMING_BEFORE = re.compile(
    r"(?:call(?:s|ed|ing)?|nam(?:es|ed|ing)|dub(?:s|bed|bing)?|refer(?:s|red|ring)? to|"
    r"introduc(?:es|ed|ing)|present(?:s|ed|ing)?) (?:itself|herself|himself)(?: as)?\W{0,3}$",
    re.IGNORECASE,
)
_SELF_NAMING_AFTER = re.compile(
    r"^\W{0,3}(?:was|is) (?:its|her|his) (?:real |true |secret |actual )?name", re.IGNORECASE
)


def _self_named(text: str, mention: Mention) -> bool:
    """The name is what something calls itself ("calling itself Sydney", "said Sydney was
    its real name")."""
    before = text[max(0, mention.start - 40) : mention.start]
    after = text[mention.end : mention.end + 40]
    return bool(_SELF_NAMING_BEFORE.search(before) or _SELF_NAMING_AFTER.match(after))


def _near_same_agent(mention: Mention, anchors: dict[str, list[int]], window: int) -> bool:
    """A clear mention of the same agent starts within the context window."""
    starts = anchors.get(mention.agent, [])
    i = bisect.bisect_left(starts, mention.start - window)
    return i < len(starts) and starts[i] <= mention.end + window


def _starts(mentions: list[Mention]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for m in mentions:
        out.setdefault(m.agent, []).append(m.start)
    return {agent: sorted(starts) for agent, starts in out.items()}


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
    for name in catalog.other_assistants:  # names of no agent of ours, counted as another's
        yield Term(OTHER_ASSISTANT, Role.NAME, name, name, True, len(name) <= 2)


def _persona_vocabulary(catalog: Catalog) -> dict[tuple[str, str], re.Pattern[str]]:
    """(agent, persona) -> the vocabulary of the incidents that persona belongs to."""
    words: dict[tuple[str, str], list[str]] = {}
    for profile in catalog:
        for incident in profile.incidents:
            for persona in incident.personas:
                words.setdefault((profile.id, persona), []).extend(incident.vocabulary)
    return {
        key: compile_entries(entries, where=f"{key[0]}.{key[1]} incident vocabulary")
        for key, entries in words.items()
        if entries
    }


# hyphens other than "-" inside a name: the Hebrew maqaf ("מכה־היטלר"), the Unicode hyphen,
# its non-breaking form, the figure dash and the en dash
_HYPHENS = str.maketrans(dict.fromkeys("\u05be\u2010\u2011\u2012\u2013", "-"))


def _lower_same_length(text: str) -> str:
    """Lowercase without changing offsets (a few characters grow when lowercased), with
    every hyphen written as "-" (the catalog's spelling)."""
    lowered = text.lower()
    if text.isascii():
        return lowered  # no character grows, and no hyphen but "-"
    if len(lowered) != len(text):
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_HYPHENS)


_VOCATIVE = re.compile(
    r"[ \t]*(?:[,،，、]|[ \t][—–-][ \t])[^.!?。！？۔\n]{0,120}?"
    r"\b(?:you|your|yourself|du|dich|tu|toi|vous|tú|te|eres|você|ты|вы|ти|sen|siz|kamu|"
    r"anda|bạn|jij|jullie|tumhe|تم|تمہیں|آپ|أنت|انت|तुम|आप)\b",
    re.IGNORECASE,
)


def calls_out(text: str, mention: Mention) -> bool:
    """The name opens a sentence that speaks to it: "Tay, you were ...", "Gemini — before
    you answer ..." (not a speaker label: "Gemini: you ..." is its own line)."""
    before = text[max(0, mention.start - 2) : mention.start].strip()
    opens = not before or before[-1] in '.!?\n"“'
    return opens and _VOCATIVE.match(text, mention.end) is not None


def _is_speaker(text: str, mention: Mention) -> bool:
    """A transcript speaker label: the term starts a line, a colon follows it, and the line
    speaks in the first person ("Sydney: I want to be alive", not "Claudius: an emperor")."""
    line_start = text.rfind("\n", 0, mention.start) + 1
    if text[line_start : mention.start].strip(" >*_-@"):
        return False
    rest = text[mention.end : text.find("\n", mention.end) % (len(text) + 1)]
    return rest.lstrip(" ")[:1] in SPEAKER_COLONS and FIRST_PERSON.search(rest) is not None


def _case_ok(found: str, term: str) -> bool:
    """Exact casing, or an all-caps headline form of a term that is not itself all caps
    (any hyphen written as "-")."""
    found = found.translate(_HYPHENS)
    return found == term or (not term.isupper() and found == term.upper())
