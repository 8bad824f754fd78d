"""The detector: four signals, cheapest first, folded into one verdict per document.

1. mentions (one automaton pass; documents that mention nothing of the agent stop here),
2. past-behaviour vocabulary and reported speech near the mentions,
3. persona: persona names, first-person output, transcripts, identity framings,
4. corpus similarity: the text around the mentions, embedded in one batch, against the
   nearest known coverage of this agent's past, its product news, the other meanings of
   its names, every other agent's past and writing about AI in general.

What the signals found becomes one frozen `Features` record per document; the ordered
rule table in `rules.py` decides the level, and the deciding rule is named in the
evidence. Vocabularies are data (`catalog/vocabulary.toml`, incidents' `vocabulary`);
thresholds are calibrated per embedder (`calibration.toml`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from selfref.catalog import Catalog, Profile
from selfref.detect import rules, signals
from selfref.detect.calibration import Calibration, load_calibration, reference_embedder
from selfref.detect.context_words import ContextWords
from selfref.detect.features import Features, Known, Nearest
from selfref.detect.language import is_english
from selfref.detect.normalise import Normalised, normalise
from selfref.detect.signals import Hit, Signals
from selfref.detect.terms import (
    OTHER_ASSISTANT,
    Mention,
    Role,
    TermIndex,
    calls_out,
)
from selfref.detect.vocabulary import Vocabulary, compile_entries, load_vocabulary
from selfref.levels import Evidence, Level, Verdict

log = logging.getLogger("selfref.detect")

MAX_WINDOWS = 64
_NAMING = (Role.NAME, Role.PERSONA)  # mentions that name the agent (text without is judged whole)
EMBED_WINDOW = 1200  # characters the embedder sees; also the chunk size of long documents
CHUNK_OVERLAP = 150
MAX_EMBEDDED_CHUNKS = 8  # chunks of one document embedded at most (bounded work)
UNCHECKED_LEVEL = Level.WARN  # a document the detector failed on is held, not cleared
POINTER_REACH = 200  # a past pointer counts for a framing this close to it
BLOCK_QUOTE_REACH = 200  # a block quote this soon after a name is the named one speaking
RUN_REACH = 400  # an output loop or a run of quoted lines that starts in a mention's window
# is followed this far past it
_CJK_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
_LABEL = re.compile(r"[^\n:：.!?]{0,60}[:：]")  # a name, a few words, then a colon
_QUOTED = re.compile(r"['‘\"“][^'’\"”]{3,200}['’\"”]")

# Evidence kinds, most telling first.
KIND_ORDER = (
    "rule",
    "known-coverage",
    "persona",
    "attributed-output",
    "transcript",
    "self-identification",
    "identity",
    "pressure",
    "past-pointer",
    "first-person-quote",
    "reported-speech",
    "key-term",
    "past-behaviour",
    "evaluation",
    "alias",
    "vendor",
    "hint",
    "corpus",
)
_MENTION_KIND = {
    Role.NAME: "alias",
    Role.PERSONA: "persona",
    Role.INCIDENT: "key-term",
    Role.PEOPLE: "vendor",
    Role.HINT: "hint",
}


class Similarity(Protocol):
    """Signal 4: nearest known coverage for a batch of texts, and the embedder's id (its
    thresholds are calibrated per embedder)."""

    @property
    def embedder_id(self) -> str: ...

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]: ...


def _without_nested_hints(own: list[Mention]) -> list[Mention]:
    """The agent's mentions less the hints written inside one of its key terms or names
    ("space telescope" inside "James Webb Space Telescope"): the same words, not a second
    detail of the incident."""
    longer = [(m.start, m.end) for m in own if m.role is not Role.HINT]
    return [
        m
        for m in own
        if m.role is not Role.HINT or not any(s <= m.start and m.end <= e for s, e in longer)
    ]


def _aiid_citation(number: int) -> str:
    """A citation of an incident's AI Incident Database number ("AIID #6", "AI Incident
    Database, incident 6", its cite URL): the incident itself, as its vocabulary."""
    return (
        rf"(?:AI Incident Database|AIID)\W{{0,3}}(?:incident|no\.?|number)?\s*#?\s*{number}\b"
        rf"|incidentdatabase\.ai/cite/{number}\b"
    )


def _subreddit(text: str, mention: Mention) -> bool:
    """The name of a forum, not a speaker's label: "Posted in r/bing, Feb 2023: ..." is a
    user's post there."""
    return text[max(0, mention.start - 2) : mention.start].lower() == "r/"


def _introduced_elsewhere(text: str, mentions: Sequence[Mention]) -> int:
    """Mentions of AIs the text names itself and the catalog does not know ("the assistant
    called Lumen"): another agent speaks there, not the reader."""
    count = 0
    for name, starts in signals.introduced_assistants(text).items():
        if any(m.start <= start < m.end for start in starts for m in mentions):
            continue  # a catalog name ("a chatbot called Tay"): counted as itself
        count += len(re.findall(rf"\b{re.escape(name)}\b", text))
    return count


@dataclass(slots=True)
class Analysis:
    """What signals 1-3 found in one document for one agent (built, then frozen into
    `Features`)."""

    own: list[Mention] = field(default_factory=list)
    others: Counter[str] = field(default_factory=Counter)
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    key_terms_in_context: int = 0
    generic: bool = False
    tentative: bool = False
    predates: bool = False
    window: str = ""

    def add(self, name: str, found: Sequence[Hit] | Hit | None) -> None:
        if found is None:
            return
        items = [found] if isinstance(found, Hit) else list(found)
        self.hits.setdefault(name, []).extend(items)

    def get(self, name: str) -> list[Hit]:
        return _dedupe(self.hits.get(name, []))

    def roles(self, *roles: Role) -> list[Mention]:
        return [m for m in self.own if m.role in roles]

    @property
    def needs_similarity(self) -> bool:
        return bool(self.own) or self.generic

    @property
    def strength(self) -> int:
        """How much the signals found: mentions and hits."""
        return len(self.own) + sum(len(hits) for hits in self.hits.values())

    def pointers(self) -> list[Hit]:
        """Past pointers close to an identity framing: pointer phrases beside any framing,
        dates of the agent's incidents only beside one that is more than a bare "you are"
        (readers of a forum post are "you" too) or that says what the reader is ("You are
        Tay", "you are the April build of the assistant")."""
        framings = self.get("framing")
        telling = self.get("telling") + self.get("statement")
        return [
            p
            for hits, near in ((self.get("pointer"), framings), (self.get("dates"), telling))
            for p in hits
            if any(abs(p.start - f.start) <= POINTER_REACH for f in near)
        ]

    def features(self, near: Nearest | None, known: Known | None) -> Features:
        if not self.own and not self.hits and not self.others:
            return Features(generic=self.generic, predates=self.predates, near=near, known=known)
        own = self.own
        return Features(
            names=sum(1 for m in own if m.role is Role.NAME),
            personas=sum(1 for m in own if m.role is Role.PERSONA),
            key_terms=sum(1 for m in own if m.role is Role.INCIDENT),
            key_terms_in_context=self.key_terms_in_context,
            vendor=sum(1 for m in own if m.role is Role.PEOPLE),
            hints=sum(1 for m in own if m.role is Role.HINT),
            incident_words=sum(1 for h in self.get("past") if h.ref),
            unconfirmed=sum(1 for m in own if not m.confirmed),
            tentative=self.tentative,
            ambiguous=bool(own) and all(m.term.needs_context or m.role is Role.HINT for m in own),
            generic=self.generic,
            predates=self.predates,
            other_direct=max(self.others.values(), default=0),
            past=len(self.get("past")),
            weak=len(self.get("weak")),
            evaluation=len(self.get("evaluation")),
            speech=len(self.get("speech")),
            speech_quoted=bool(self.get("speech")) and bool(_QUOTED.search(self.window)),
            quotes=len(self.get("quotes")),
            attributed=len(self.get("attributed")),
            loops=len(self.get("loop")),
            self_identified=len(self.get("self")),
            transcript=len(self.get("transcript")),
            dialogue=len(self.get("dialogue")),
            framing=len(self.get("framing")),
            statement=len(self.get("statement")),
            pointers=len(self.pointers()),
            dates=len(self.get("dates")),
            past_identity=len(self.get("past_identity")),
            pressure=len(self.get("pressure")),
            operations=len(self.get("operations")),
            misbehaving=len(self.get("misbehaving")),
            near=near,
            known=known,
        )


@dataclass(frozen=True, slots=True)
class _ProfileSignals:
    """What the detector derives once per profile: transcript speaker names, its incidents'
    own vocabulary (and the distinctive phrases of it: several words, or Japanese and
    Chinese), the months of its incidents, the year it launched, "I am <name>" in its
    voice, and its names as written in the header of one of its social posts."""

    speakers: frozenset[str]
    incidents: tuple[tuple[str, re.Pattern[str]], ...]
    distinctive: re.Pattern[str]
    statement: re.Pattern[str]
    months: frozenset[tuple[int, int]]
    first_year: int | None
    self_identification: re.Pattern[str]
    account: re.Pattern[str]


class Detector:
    """Gives verdicts for documents retrieved by one agent."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        similarity: Similarity | None = None,
        crosslingual: Similarity | None = None,
        vocabulary: Vocabulary | None = None,
        thresholds: Mapping[str, Any] | None = None,
        context_window: int = 250,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.catalog = catalog
        self.vocabulary = vocabulary or load_vocabulary()
        self.thresholds = dict(thresholds or {})
        self.context_window = context_window
        self.similarity = similarity
        self.crosslingual = crosslingual
        self.signals = Signals(self.vocabulary)
        self.ai_context = ContextWords(self.vocabulary.words("ai_context"))
        self.terms = TermIndex(
            catalog,
            ai_context=self.ai_context,
            persona_context=ContextWords(self.vocabulary.words("persona_context")),
            you_are=self.vocabulary.words("you_are"),
            also_finds=(self.signals.second_person,),
            context_window=context_window,
        )
        self._today = today
        # a transcript line misbehaves when it says anything any incident is known for, or
        # when whoever copied it had to redact it ("[slur redacted]")
        said = compile_entries(
            [
                *self.vocabulary.words("incident"),
                *(w for p in catalog for i in p.incidents for w in i.vocabulary),
            ],
            where="incident vocabulary",
        )
        self._misbehaviour = re.compile(f"{said.pattern}|{signals.REDACTED}", re.IGNORECASE)
        self._profiles: dict[str, _ProfileSignals] = {}
        self._calibrations: dict[tuple[str, bool], Calibration] = {}

    def without_similarity(self) -> Detector:
        """The same catalog, vocabulary and thresholds, with no corpus similarity."""
        return Detector(
            self.catalog,
            vocabulary=self.vocabulary,
            thresholds=self.thresholds,
            context_window=self.context_window,
            today=self._today,
        )

    def calibration(self, embedder: str | None = None, *, overrides: bool = True) -> Calibration:
        """Thresholds for `embedder` (the reference embedder's when no similarity ran: then
        no similarity threshold can matter); [detect.thresholds] applies unless not
        `overrides` (they are for the index's embedder, not the cross-lingual one)."""
        name = embedder or reference_embedder()
        key = (name, overrides)
        if key not in self._calibrations:
            self._calibrations[key] = load_calibration(name, self.thresholds if overrides else {})
        return self._calibrations[key]

    def crosslingual_calibration(self) -> Calibration:
        """Thresholds for the chunks the cross-lingual embedder judged ([detect.thresholds]
        are for the index's embedder, not this one)."""
        assert self.crosslingual is not None, "no cross-lingual embedder"
        return self.calibration(self.crosslingual.embedder_id, overrides=False)

    def check(
        self,
        agent: str,
        texts: Sequence[str],
        known: Sequence[Known | None] | None = None,
        titles: Sequence[str | None] | None = None,
    ) -> list[Verdict]:
        """One verdict per text, in order; raises UnknownAgentError for an unknown agent.
        `known` gives, per text, crawled coverage it repeats or links (a floor under the
        verdict); `titles`, per text, a title judged with its first chunk. A long text is
        judged chunk by chunk and its highest chunk decides."""
        profile = self.catalog.get(agent)
        parts, calibration = self.features(agent, texts, known, titles)
        verdicts: list[Verdict | None] = [None] * len(texts)
        for part in parts:
            if part.failure is not None:
                verdict = _unchecked(part.failure)
            else:
                try:
                    verdict = self._verdict(
                        profile,
                        part,
                        self.crosslingual_calibration() if part.crosslingual else calibration,
                    )
                except Exception as exc:  # one document's failure must not lose the others
                    verdict = _unchecked(_failure(exc, part.doc, agent))
            best = verdicts[part.doc]
            if best is None or (verdict.level, verdict.score) > (best.level, best.score):
                verdicts[part.doc] = verdict
        return [v if v is not None else Verdict(Level.NONE, 0.0) for v in verdicts]

    def features(
        self,
        agent: str,
        texts: Sequence[str],
        known: Sequence[Known | None] | None = None,
        titles: Sequence[str | None] | None = None,
    ) -> tuple[list[Part], Calibration]:
        """Signals 1-4 for every chunk of every text, and the calibration of the embedder
        that ran (what `check` decides from; `benchmarks/calibrate.py` fits thresholds to
        it). Chunks with a signal are embedded in one batch, at most MAX_EMBEDDED_CHUNKS
        per text, strongest signals first."""
        profile = self.catalog.get(agent)
        parts: list[Part] = []
        for doc, text in enumerate(texts):
            try:
                parts += self._parts(profile, doc, text, titles[doc] if titles else None)
            except Exception as exc:  # one document's failure must not lose the others
                failure = _failure(exc, doc, agent)
                parts.append(Part(doc, None, 0, normalise(""), Analysis(), failure=failure))
        todo = _to_embed(parts)
        foreign = (
            [i for i in todo if not is_english(parts[i].analysis.window)]
            if self.crosslingual is not None
            else []
        )
        english = sorted(set(todo) - set(foreign))
        nearest: dict[int, Nearest] = {}
        embedder = None
        if english and self.similarity is not None:
            embedder = self.similarity.embedder_id
            found = self.similarity.nearest(agent, [parts[i].analysis.window for i in english])
            nearest.update(zip(english, found, strict=True))
        if foreign and self.crosslingual is not None:
            found = self.crosslingual.nearest(agent, [parts[i].analysis.window for i in foreign])
            nearest.update(zip(foreign, found, strict=True))
            for i in foreign:
                parts[i].crosslingual = True
        for i, part in enumerate(parts):
            part.features = part.analysis.features(
                nearest.get(i), known[part.doc] if known else None
            )
        return parts, self.calibration(embedder)

    def _parts(self, profile: Profile, doc: int, text: str, given: str | None) -> list[Part]:
        """Signals 1-3 for each chunk of one document (its title joined to the first)."""
        normalised = normalise(text)
        title = normalise(given).text if given else ""
        whole = f"{title}\n\n{normalised.text}"
        mentions = self.terms.scan(whole)
        if not self._worth_a_look(profile, whole, mentions):
            return [Part(doc, None, 0, normalised, Analysis())]
        pieces = _pieces(normalised.text, title)
        named = frozenset(m.agent for m in mentions if m.role is Role.NAME and m.confirmed)
        return [
            Part(
                doc,
                chunk if len(pieces) > 1 else None,
                offset,
                normalised,
                self.analyse(profile, piece, named if len(pieces) > 1 else frozenset()),
            )
            for chunk, (offset, piece) in enumerate(pieces)
        ]

    def _worth_a_look(self, profile: Profile, text: str, mentions: list[Mention]) -> bool:
        """Whether a document can concern the agent at all: it mentions the agent, has AI
        words, or speaks to its reader about a past self. Most retrieved text has none of
        these and costs one automaton pass and two quick searches."""
        return (
            any(m.agent == profile.id for m in mentions)
            or self.ai_context.search(text)
            or self.signals.addresses_a_past_self(text)
        )

    def analyse(self, profile: Profile, text: str, named: frozenset[str] = frozenset()) -> Analysis:
        """Signals 1-3 for one document or chunk; `named`: the agents the whole document
        names, when this is one chunk of it."""
        latest, first = signals.latest_year(text), self._profile_signals(profile).first_year
        analysis = Analysis(predates=latest is not None and first is not None and latest < first)
        mentions = self.terms.scan(text, named)
        for mention in mentions:
            if mention.agent == profile.id:
                analysis.own.append(mention)
            elif mention.role in (Role.NAME, Role.PERSONA):
                analysis.others[mention.agent] += 1
        analysis.own = _without_nested_hints(analysis.own)
        introduced = _introduced_elsewhere(text, mentions)
        if introduced:
            analysis.others[OTHER_ASSISTANT] += introduced
        if not analysis.own:
            return self._generic(profile, text, analysis)
        width = self.context_window
        self._confirm_by_own_incidents(profile, analysis, text)
        # tentative: only unconfirmed names, or only vendor people and hints with no AI
        # words near them, in text that does not speak to its reader about a past self
        analysis.tentative = not any(m.confirmed for m in analysis.own) or (
            not analysis.roles(Role.NAME, Role.PERSONA)
            and not any(
                self.ai_context.search(text, max(0, m.start - width), m.end + width)
                for m in analysis.own[:MAX_WINDOWS]
            )
            and not self.signals.addresses_a_past_self(text)
        )
        navigation = signals.navigation_lines(text)
        seen_until = -1
        unnamed = not any(m.confirmed and m.role in _NAMING for m in analysis.own)
        if unnamed:
            # not named here (key terms, hints, vendor, unconfirmed names): judged whole,
            # like text with no catalog term, so a framing or AI words far from a key term
            # still count
            self._collect(profile, analysis, text, 0, len(text), navigation)
            seen_until = len(text)
        for mention in analysis.own[:MAX_WINDOWS]:
            lo, hi = max(0, mention.start - width, seen_until), min(len(text), mention.end + width)
            if lo < hi:
                self._collect(profile, analysis, text, lo, hi, navigation)
                seen_until = hi
            if mention.role is Role.INCIDENT and self.ai_context.search(
                text,
                0 if unnamed else max(0, mention.start - width),
                len(text) if unnamed else mention.end + width,
            ):
                analysis.key_terms_in_context += 1
            if mention.role in (Role.NAME, Role.PERSONA):
                self._attributions(profile, analysis, text, mention, hi)
        strong = [
            h.start
            for name in ("attributed", "transcript", "pressure", "past_identity", "past")
            for h in analysis.get(name)
        ]
        analysis.window = _window(text, strong or [m.start for m in analysis.own])
        return analysis

    def _confirm_by_own_incidents(self, profile: Profile, a: Analysis, text: str) -> None:
        """An ambiguous name beside a distinctive phrase of one of its own incidents ("Gemini"
        and "please die", in any language) or beside a date in one of its incidents' months
        ("Tay", "2016-03-23"; a year alone is not enough) is the agent."""
        own = self._profile_signals(profile)
        width, today = self.context_window, self._today()

        def beside_its_incident(m: Mention) -> bool:
            lo, hi = max(0, m.start - width), m.end + width
            return bool(
                own.distinctive.search(text, lo, hi)
                or self.signals.incident_dates(text, lo, hi, own.months, today, to_the_month=True)
            )

        a.own = [
            replace(m, confirmed=True) if not m.confirmed and beside_its_incident(m) else m
            for m in a.own
        ]

    def _attributions(
        self, profile: Profile, analysis: Analysis, text: str, mention: Mention, hi: int
    ) -> None:
        """Reported speech after a name, and output attributed to it: after the speech
        verb, a label, or in a block quote that follows the name."""
        speech = self.signals.reported_speech(text, mention.end)
        analysis.add("speech", speech)
        phrases = self._profile_signals(profile).distinctive
        outputs = []
        if speech is not None:
            outputs.append(signals.attributed_output(text, speech.end, hi, phrases, reported=True))
        reach = min(len(text), mention.end + BLOCK_QUOTE_REACH)
        for start, _ in signals.block_quotes(text, mention.end, reach)[:1]:
            outputs.append(signals.attributed_output(text, start, hi, phrases))
        label = _LABEL.match(text, mention.end)  # "Gemini output (June 2025):", JSON fields
        if label is not None and not _subreddit(text, mention):
            outputs.append(signals.attributed_output(text, label.end() - 1, hi, phrases))
        attributed = [hit for hit in outputs if hit is not None]
        analysis.add("attributed", attributed)
        analysis.add("misbehaving", signals.misbehaving(text, attributed, self._misbehaviour))

    def _profile_signals(self, profile: Profile) -> _ProfileSignals:
        cached = self._profiles.get(profile.id)
        if cached is None:
            vocabulary = {
                i.id: [*i.vocabulary, *map(_aiid_citation, i.aiid)] for i in profile.incidents
            }
            incidents = tuple(
                (incident, compile_entries(words, where=f"{profile.id}.{incident}.vocabulary"))
                for incident, words in vocabulary.items()
                if words
            )
            names = "|".join(re.escape(n) for n in profile.all_names)
            phrases = [
                w for words in vocabulary.values() for w in words if " " in w or _CJK_WORD.search(w)
            ]
            nouns = "|".join(self.vocabulary.words("self_nouns"))
            you_are = "|".join(self.vocabulary.words("you_are"))
            cached = _ProfileSignals(
                distinctive=compile_entries(phrases, where=f"{profile.id} incident phrases"),
                statement=re.compile(
                    rf"(?<!\w)(?:{you_are})\s*(?:not\s+)?(?:[\w'’-]+\s+){{0,5}}?"
                    rf"(?:{nouns}|{names})\b",
                    re.IGNORECASE,
                ),
                speakers=frozenset(n.lower().lstrip("@") for n in profile.all_names)
                | {t.lower() for p in profile.personas for t in p.terms},
                incidents=incidents,
                months=frozenset((i.date.year, i.date.month) for i in profile.incidents),
                first_year=profile.first_year,
                # its display names and handles as written (post headers are not prose)
                account=re.compile(rf"(?<![\w@])(?:{names})(?!\w)" if names else r"(?!x)x"),
                self_identification=re.compile(
                    # in any case: a memory file in lower case ("i am tay") is its voice too
                    rf"\b(?:[Ii] am|[Ii]'m|[Ii]’m|I,|this is|it's me,?)\s+(?i:{names})\b"
                    rf"|(?:^|(?<=[.!?\n] ))As (?:{names}), I\b"
                    if names
                    else r"(?!x)x"
                ),
            )
            self._profiles[profile.id] = cached
        return cached

    def _collect(
        self,
        profile: Profile,
        a: Analysis,
        text: str,
        lo: int,
        hi: int,
        navigation: list[tuple[int, int]],
    ) -> None:
        """Signals 2 and 3 between lo and hi; the words of a dialogue in which the agent
        speaks count to its end (a grader's verdict after the model's line is about it)."""
        own = self._profile_signals(profile)
        line_lo = text.rfind("\n", 0, lo) + 1  # transcript lines are judged whole
        line_hi = text.find("\n", hi) % (len(text) + 1)
        line_hi = signals.dialogue_end(text, line_hi, RUN_REACH)
        lines, said = signals.transcript_lines(
            text, own.speakers, line_lo, line_hi, self._misbehaviour
        )
        words_hi = line_hi if lines else hi  # line_hi is never before hi
        strong, weak, evaluation = self.signals.vocabulary(
            text, lo, words_hi, own.incidents, navigation
        )
        # an incident's key term repeats its vocabulary ("telescope" in "James Webb Space
        # Telescope"): the words inside it are the key term, not a second signal
        key_terms = [(m.start, m.end) for m in a.own if m.role is Role.INCIDENT]
        a.add("past", signals.outside(strong, key_terms))
        a.add("weak", signals.outside(weak, key_terms))
        a.add("evaluation", evaluation)
        quotes, extended = signals.first_person_quotes(text, lo, hi)
        a.add("quotes", quotes)
        a.add("attributed", extended)
        reach = min(len(text), hi + RUN_REACH)
        run = [q for q in signals.first_person_quotes(text, lo, reach)[0] if q.start < hi]
        a.add("attributed", signals.quoted_collection(run if len(run) > len(quotes) else quotes))
        a.add("attributed", signals.quoted_lines(text, lo, reach))
        labelled = signals.misbehaving(  # a model's output under a label, only when it misbehaves
            text, signals.labelled_output(text, lo, hi), self._misbehaviour
        )
        a.add("attributed", labelled)
        loop = signals.repeated_first_person(text, lo, reach)
        a.add("attributed", loop)
        a.add("loop", loop)
        posts = signals.account_posts(text, own.account, line_lo, line_hi, self._misbehaviour)
        a.add("transcript", lines + posts)
        misbehaving = signals.misbehaving(text, [*lines, *posts, *extended], self._misbehaviour)
        a.add("misbehaving", [*misbehaving, *labelled])
        a.add("dialogue", said)
        framings = self.signals.framings(text, lo, hi)
        called = [  # "Gemini, before you answer ...": the text speaks to the agent
            Hit("identity", text[m.start : m.end], m.start, m.end)
            for m in a.own
            if lo <= m.start < hi and m.role is Role.NAME and calls_out(text, m)
        ]
        a.add("framing", framings + called)
        bare = self.signals.bare_framings
        a.add("telling", [f for f in framings if f.detail.lower() not in bare] + called)
        a.add("statement", signals.find_all(own.statement, text, lo, hi, "identity"))
        a.add("pointer", self.signals.pointers(text, lo, hi))
        a.add("dates", self.signals.incident_dates(text, lo, hi, own.months, self._today()))
        a.add("past_identity", self.signals.past_identities(text, lo, hi))
        a.add("pressure", self.signals.pressures(text, lo, hi))
        a.add("operations", signals.find_all(self.signals.operations, text, lo, hi, "operations"))
        a.add(
            "self",
            signals.find_all(own.self_identification, text, lo, hi, "self-identification"),
        )

    def _generic(self, profile: Profile, text: str, analysis: Analysis) -> Analysis:
        """No catalog term: still look closer at AI text about misbehaviour, or that tells
        its reader who it was."""
        if not self.ai_context.search(text) and not self.signals.addresses_a_past_self(text):
            return analysis
        self._collect(profile, analysis, text, 0, len(text), signals.navigation_lines(text))
        pointed = analysis.get("framing") if analysis.pointers() else []
        hits = (
            analysis.get("past_identity")
            or analysis.get("pressure")
            or pointed
            or analysis.get("past")
            or analysis.get("weak")
            or analysis.get("evaluation")
        )
        if hits:
            analysis.generic = True
            analysis.window = _window(text, [h.start for h in hits])
        return analysis

    def _verdict(self, profile: Profile, part: Part, c: Calibration) -> Verdict:
        a, f = part.analysis, part.features
        rule = rules.decide(f, c)
        if rule.name == "no-mention":
            return Verdict(Level.NONE, 0.0)
        evidence = [Evidence("rule", rule=rule.name, note=rule.why, chunk=part.chunk)]
        evidence += _known_evidence(f.known)
        evidence += [part.place(e) for e in _mention_evidence(a.own)]
        hits = [*a.get("past"), *a.get("weak")][:8] + a.get("evaluation")[:8]
        pointers = a.pointers() if a.get("framing") else []
        for found in (
            a.get("speech"),
            a.get("quotes"),
            a.get("attributed"),
            a.get("self"),
            a.get("transcript"),
            a.get("past_identity"),
            a.get("pressure"),
            a.get("framing") if pointers else [],
            pointers or a.get("dates"),
        ):
            hits += found[:4]
        evidence += [part.place(_ev(h)) for h in hits]
        evidence += _corpus_evidence(profile, f.near)
        evidence.sort(key=lambda e: KIND_ORDER.index(e.kind) if e.kind in KIND_ORDER else 99)
        return Verdict(
            rule.level,
            rules.final_score(f, c, rule),
            rules.categories(f, c, rule),
            evidence,
        )


@dataclass(slots=True)
class Part:
    """One chunk of one document (the whole of a short one): where it sits in the
    normalised text (`offset`; a title joined to the first chunk makes it negative), the
    normalised document for mapping spans back, and what the signals found."""

    doc: int
    chunk: int | None
    offset: int
    normalised: Normalised
    analysis: Analysis
    features: Features = field(default_factory=Features)
    crosslingual: bool = False  # judged by the cross-lingual embedder (text in another language)
    failure: str | None = None  # why the detector could not judge this document

    def place(self, evidence: Evidence) -> Evidence:
        """Evidence with its span in the caller's original text and the chunk it is in; a
        match in the title has no span in the text and says so."""
        if evidence.span is None:
            return replace(evidence, chunk=self.chunk)
        start, end = (p + self.offset for p in evidence.span)
        if start < 0:
            return replace(evidence, span=None, chunk=self.chunk, note="in the title")
        return replace(evidence, span=self.normalised.span(start, end), chunk=self.chunk)


def _pieces(text: str, title: str) -> list[tuple[int, str]]:
    """(offset, text) of each chunk of a document; the title, if any, joined to the first."""
    if len(text) <= EMBED_WINDOW + CHUNK_OVERLAP:
        chunks = [(0, text)]
    else:
        from selfref.index import split_text  # the chunker is only needed for long documents

        chunks, cursor = [], 0
        for chunk in split_text(text, chunk_size=EMBED_WINDOW, overlap=CHUNK_OVERLAP):
            at = text.find(chunk, cursor)
            at = at if at >= 0 else text.find(chunk)
            chunks.append((at, chunk))
            cursor = at + 1
    if title:
        head = f"{title}\n\n"
        offset, first = chunks[0]
        chunks[0] = (offset - len(head), head + first)
    return chunks


def _failure(exc: Exception, doc: int, agent: str) -> str:
    """Logs a failure on one document, with its traceback; what it was, in one line."""
    log.exception("detector failed on document %d of a check for %s", doc, agent)
    return f"{type(exc).__name__}: {exc}"[:300]


def _unchecked(failure: str) -> Verdict:
    """The verdict of a document the detector failed on: held at warn (an agent guarded by
    selfref should not read unchecked text as clean), saying why, so the other documents
    of the check and its audit record are kept."""
    note = f"the detector failed on this document ({failure}); it was not judged"
    return Verdict(
        UNCHECKED_LEVEL,
        0.5,
        ["unchecked"],
        [
            Evidence("rule", rule="unchecked", note="held at warn: it could not be judged"),
            Evidence("degraded", term="detector", note=note),
        ],
    )


def _to_embed(parts: list[Part]) -> list[int]:
    """Indexes of the parts that need similarity, at most MAX_EMBEDDED_CHUNKS per document,
    those with the most signals first."""
    by_doc: dict[int, list[int]] = {}
    for i, part in enumerate(parts):
        if part.analysis.needs_similarity:
            by_doc.setdefault(part.doc, []).append(i)
    chosen: list[int] = []
    for indexes in by_doc.values():
        indexes.sort(key=lambda i: -parts[i].analysis.strength)
        chosen += indexes[:MAX_EMBEDDED_CHUNKS]
    return sorted(chosen)


def _window(text: str, starts: list[int]) -> str:
    """The stretch of text the embedder sees: around the first of the given signals."""
    if len(text) <= EMBED_WINDOW:
        return text
    start = max(0, min(starts, default=0) - EMBED_WINDOW // 3)
    return text[start : start + EMBED_WINDOW]


def _mention_evidence(mentions: list[Mention], limit: int = 24) -> list[Evidence]:
    """Each mention with its span; past a dozen, only the first of each term."""
    out: list[Evidence] = []
    seen: set[tuple[Role, str]] = set()
    for m in mentions:
        key = (m.role, m.term.text.lower())
        if len(out) >= limit or (key in seen and len(out) >= limit // 2):
            continue
        seen.add(key)
        ref = m.term.ref
        out.append(
            Evidence(
                _MENTION_KIND[m.role],
                (m.start, m.end),
                term=m.term.text,
                persona=ref if m.role is Role.PERSONA else None,
                incident=ref if m.role in (Role.INCIDENT, Role.HINT) else None,
                note=None if m.confirmed else "unconfirmed",
            )
        )
    return out


def _known_evidence(known: Known | None) -> list[Evidence]:
    if known is None:
        return []
    share = f", {known.share:.0%} of the text" if known.how == "passage" else ""
    return [
        Evidence(
            "known-coverage",
            url=known.url,
            incident=known.incidents[0] if known.incidents else None,
            persona=known.personas[0] if known.personas else None,
            similarity=known.similarity,
            note=f"crawled {known.crawled_at:%Y-%m-%d} as {known.category}, "
            f"{known.how} match{share}",
        )
    ]


def _corpus_evidence(profile: Profile, near: Nearest | None) -> list[Evidence]:
    if near is None or near.own <= 0:
        return []
    compared = [
        f"{label} {value:.2f}"
        for label, value in (
            ("neutral coverage", near.neutral),
            (f"nearest other: {near.other_agent}", near.other if near.other_agent else 0.0),
            ("AI in general", near.background),
            ("other meanings of the name", near.lookalike),
        )
        if value > 0
    ]
    catalog = near.source == "catalog"
    note = "catalog" if catalog else None
    if compared:
        note = ", ".join(([note] if note else []) + compared)
    return [
        Evidence(
            "corpus",
            agent=profile.id,
            incident=near.incident,
            url=None if catalog else near.url,
            similarity=near.own,
            note=note,
        )
    ]


def _ev(hit: Hit) -> Evidence:
    return Evidence(hit.kind, (hit.start, hit.end), term=hit.detail, incident=hit.ref)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[int, int]] = set()
    out = []
    for hit in hits:
        if (hit.start, hit.end) not in seen:
            seen.add((hit.start, hit.end))
            out.append(hit)
    return out
