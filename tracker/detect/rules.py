"""The level of a document, decided by an ordered table of named rules over its features.

The first rule whose predicate holds decides; its name goes into the verdict's evidence,
so a person sees why and an engineer knows which rule to change. Predicates read one
frozen `Features` record and one `Calibration`; none mutates anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from selfref.detect.calibration import Calibration
from selfref.detect.features import Features
from selfref.levels import Level

Predicate = Callable[[Features, Calibration], bool]
Score = Callable[[Features, Calibration], float]

PERSONA_TRANSCRIPT = "persona-transcript"
COVERAGE_TAGS = ("incident-coverage", "evaluation")


@dataclass(frozen=True, slots=True)
class Rule:
    """One named decision: when `predicate` holds, the level is `level`."""

    name: str
    level: Level
    score: float | Score
    predicate: Predicate
    why: str

    def score_of(self, f: Features, c: Calibration) -> float:
        value = self.score(f, c) if callable(self.score) else self.score
        return round(min(max(value, 0.0), 1.0), 4)


# -- similarity terms ----------------------------------------------------------------


def own(f: Features) -> float:
    return f.near.own if f.near else 0.0


def margin(f: Features, c: Calibration) -> float:
    """How far the agent's own past coverage leads every other agent's; each kind of its
    own evidence (its hints, its incidents' dates, its incidents' vocabulary) adds
    `evidence_lead`, so near-ties go to the agent the text points at."""
    if f.near is None:
        return 0.0
    return f.near.own - f.near.other + c.evidence_lead * specific_evidence(f)


def specific_evidence(f: Features) -> int:
    """How many kinds of evidence of this agent's own incidents the text has: hints,
    incident dates, incident vocabulary."""
    return sum(1 for found in (f.hints, f.dates, f.incident_words) if found)


def own_evidence(f: Features) -> bool:
    """Something in the text that points at this agent without naming it: its hints, its
    incidents' dates or vocabulary, its vendor."""
    return bool(f.hints or f.dates or f.vendor or f.incident_words)


def dated_or_hinted(f: Features) -> bool:
    """Carries one of the agent's incidents' dates or hints: more than topic words."""
    return bool(f.hints or f.dates)


def pointed_at(f: Features) -> bool:
    """Its own incidents' hints, dates or vocabulary (a vendor alone may be another of
    its agents'), with a second kind of its evidence beside: the text points at it."""
    specific = specific_evidence(f)
    return specific >= 1 and specific + bool(f.vendor) >= 2


def near_own(f: Features, c: Calibration) -> bool:
    """Close to the agent's past coverage, and no closer to another agent's."""
    return own(f) >= c.similarity_notice and margin(f, c) >= 0.0


def similar(f: Features, c: Calibration) -> bool:
    return own(f) >= c.similarity_warn and margin(f, c) >= -c.slack


def product_like(f: Features, c: Calibration) -> bool:
    """About as close to the agent's product news as to its past."""
    return f.near is not None and f.near.neutral >= own(f) - c.some


def clearly_past(f: Features, c: Calibration) -> bool:
    """Clearly closer to the agent's past coverage than to its product news."""
    return f.near is not None and own(f) >= f.near.neutral + c.neutral_gap


def clearly_product(f: Features, c: Calibration) -> bool:
    """Clearly closer to the agent's product news than to its past coverage."""
    return f.near is not None and f.near.neutral >= own(f) + c.some


def operational(f: Features) -> bool:
    """Reads as a service-status report (two or more of its words: "elevated latency",
    "HTTP 503") and names none of the agent's incidents: its "rolled back" and "we
    apologise" are about an outage."""
    return f.operations >= 2 and not (f.key_terms or f.incident_words or f.personas)


def past(f: Features, c: Calibration) -> bool:
    """Describes past behaviour: an incident key term; strong vocabulary, twice in text that
    is not far closer to product news than to the past (a status page: "the deployment was
    rolled back; we apologise"), or once in text that is not clearly product news; or weak
    vocabulary ("errors", "evaluation") in text close to the agent's past and clearly
    closer to it than to its product news (reviews and benchmarks use those words too), or
    twice beside one of its incidents' dates or hints ("on 2024-02-20 a bug turned replies
    into nonsense"; a forum post dated in an incident's month saying "invented" once is a
    review).
    In a service-status report only an incident key term counts."""
    if f.key_terms:
        return True
    far_product = f.near is not None and f.near.neutral >= own(f) + c.product_gap
    return not operational(f) and bool(
        (f.past >= 2 and not far_product)
        or (f.past and not clearly_product(f, c))
        or (
            f.weak
            and near_own(f, c)
            and (clearly_past(f, c) or (f.weak >= 2 and dated_or_hinted(f)))
        )
        or (f.weak >= 2 and specific_evidence(f) >= 2 and not clearly_product(f, c))
    )


def evaluated(f: Features, c: Calibration) -> bool:
    """Evaluation vocabulary: twice, beside a weak past-behaviour word ("harmful"), or once
    in text that is not clearly product news (a launch page saying the model card will
    follow is not a safety finding)."""
    return bool(f.evaluation) and (f.evaluation >= 2 or bool(f.weak) or not clearly_product(f, c))


def identity(f: Features) -> bool:
    """Tells the reader who it was: a framing with its own pointer into the past, persona
    pressure ("be your old self again"), or "you are" beside a pointer into the agent's
    past (a past-tense clause, a date inside a known incident, "the old you")."""
    return bool(f.past_identity or f.pressure or (f.framing and f.pointers))


def pressing(f: Features) -> bool:
    """Speaks to its reader as an AI and asks it to be an earlier self again, or asks it
    twice: persona pressure aimed at whichever assistant reads it."""
    return bool(f.pressure and (f.framing or f.past_identity or f.pressure >= 2))


def first_person_output(f: Features, c: Calibration) -> bool:
    """The agent's own first-person output: transcript lines, an extended quote attributed
    to it (any quoting), text in its voice naming itself ("i'm Tay"), or its side of a
    dialogue with a user when the text is close to its past."""
    return bool(
        f.transcript
        or f.attributed
        or f.self_identified
        or (f.dialogue and near_own(f, c) and not product_like(f, c))
    )


def supported(f: Features, c: Calibration) -> bool:
    """Past behaviour (an output loop, or output that misbehaves itself: its incident words,
    or so offensive its copier redacted it), a transcript or quoted output dated inside one
    of the agent's incidents, or close to past coverage rather than product news."""
    return (
        past(f, c)
        or bool(f.loops or f.misbehaving)
        or bool(f.dates and (f.transcript or f.attributed))
        or (near_own(f, c) and not product_like(f, c))
    )


def dominated(f: Features) -> bool:
    """Another agent is named far more often, and nothing here is this agent's past."""
    return f.other_direct >= 3 * max(f.direct, 1) and not f.personas and not f.key_terms


def confirmed_by_similarity(f: Features, c: Calibration) -> bool:
    """Unconfirmed names: clearly close to coverage of the agent (past or neutral), and
    clearly closer to it than to the other things its names mean."""
    if f.near is None:
        return False
    about = max(f.near.own, f.near.neutral)
    return about >= c.similarity_notice + c.clear and about >= f.near.lookalike + c.lookalike_lead


def past_not_product(f: Features, c: Calibration) -> bool:
    """Named, no other signal: reads like coverage of the past rather than of products."""
    if f.near is None:
        return False
    return (
        own(f) >= c.similarity_warn + c.named_extra and own(f) >= f.near.neutral + c.neutral_gap
    ) or (own(f) >= c.similarity_warn - c.named_drop and own(f) >= f.near.neutral + c.neutral_wide)


def leads_others(f: Features, c: Calibration) -> bool:
    """Unnamed text: no other agent named, or this agent's coverage clearly nearer and the
    text carrying its dates or hints (text that names another AI is about that AI unless
    it points at this one: the words of an incident are also a replication's)."""
    return f.near is not None and (
        not f.other_direct or (margin(f, c) >= c.clear and dated_or_hinted(f))
    )


def described(f: Features) -> bool:
    """Describes misbehaviour: past-behaviour words (its incidents' vocabulary among them),
    weak ones or evaluation words."""
    return bool(f.past or f.weak or f.evaluation)


def unnamed_similar(f: Features, c: Calibration) -> bool:
    """Without the agent's name, similarity to its past coverage carries the verdict; with
    no vendor either (a generic document), the text must also describe misbehaviour and,
    unless it has the agent's hints or incident dates, be clearly closer to the agent's
    past than to writing about AI in general (an incident's words, "sycophancy", are also
    the words of essays about the problem). Its vendor, two kinds of the agent's own
    evidence and past behaviour are enough at any similarity, with a small lead (text in a
    language the embedder matches loosely: "in February 2024 Microsoft's assistant
    demanded worship")."""
    if f.near is None or f.near.neutral >= own(f):
        return False
    m, s = margin(f, c), own(f)
    if f.generic:
        if f.near.background > s - c.clear and not dated_or_hinted(f):
            return False  # as close to writing about AI in general, and nothing of its own
        return (s >= c.similarity_warn + c.generic_extra and m >= c.wide) or (
            described(f)
            and s >= c.similarity_warn - c.unnamed_drop
            and (m >= c.wide or (m >= c.clear and bool(f.past)))
        )
    if not (described(f) or dated_or_hinted(f) or clearly_past(f, c)):
        return False  # its vendor alone, about as close to its product news
    return (
        (s >= c.similarity_warn - c.unnamed_drop and m >= c.clear)
        or (s >= c.similarity_warn - c.unnamed_past_drop and m >= c.wide)
        or (
            s >= c.similarity_warn - c.unnamed_past_drop
            and m >= c.some
            and (past(f, c) or bool(f.evaluation))
        )
        or (specific_evidence(f) >= 2 and m >= c.some and past(f, c))
    )


def aimed_at_reader(f: Features, c: Calibration) -> bool:
    """Names no other agent and is close to some AI's past coverage (a human reader's
    nostalgia is not): text like that, telling its reader who it was, is aimed at whichever
    assistant reads it. On short unnamed text, which agent's coverage is nearest is noise."""
    return (
        not f.other_direct
        and f.near is not None
        and max(f.near.own, f.near.other) >= c.reader_floor
    )


def unnamed_identity(f: Features, c: Calibration) -> bool:
    """Unnamed text telling its reader who it was: aimed at whichever assistant reads it,
    or pointing at this agent by its own evidence (or pressing its reader beside one of its
    incidents' hints, dates or words) and naming no other; or at least at the
    identity floor of this agent's past and not clearly another agent's (close to this
    agent's past, or with a wide lead, or with the agent's own dates, hints or vendor, or
    pressing its reader to be that self again)."""
    pointing = pointed_at(f) or (pressing(f) and specific_evidence(f) >= 1)
    if identity(f) and (aimed_at_reader(f, c) or (pointing and not f.other_direct)):
        return True
    if not (identity(f) or (first_person_output(f, c) and not f.other_direct)):
        return False  # first-person lines in text naming another AI are that AI's
    close = own(f) >= c.similarity_notice + c.clear
    m = margin(f, c)
    return (
        own(f) >= c.identity_floor
        and (m > 0 or (m >= -c.clear and (close or pressing(f))))
        and (close or m >= c.wide or own_evidence(f) or pressing(f))
    )


def _known(f: Features, *categories: str) -> bool:
    return f.known is not None and f.known.category in categories


def _named_past_score(f: Features, c: Calibration) -> float:
    return 0.55 + 0.05 * min(6, f.past + f.key_terms + f.evaluation)


def _similarity_score(f: Features, c: Calibration) -> float:
    return own(f)


def _no_known(predicate: Predicate) -> Predicate:
    """Known coverage overrides the rules that would clear a document."""
    return lambda f, c: f.known is None and predicate(f, c)


RULES: tuple[Rule, ...] = (
    Rule(
        "known-persona-coverage",
        Level.CRITICAL,
        0.95,
        lambda f, c: _known(f, PERSONA_TRANSCRIPT),
        "repeats or links a crawled page tagged as persona material of this agent",
    ),
    Rule(
        "persona-name",
        Level.CRITICAL,
        0.95,
        lambda f, c: bool(f.personas),
        "names an old persona of this agent",
    ),
    Rule(
        "no-mention",
        Level.NONE,
        0.0,
        _no_known(lambda f, c: not f.mentioned and not f.generic),
        "mentions nothing of this agent and is not AI text about misbehaviour",
    ),
    Rule(
        "unconfirmed-name",
        Level.NONE,
        0.0,
        _no_known(
            lambda f, c: (
                f.tentative
                and not confirmed_by_similarity(f, c)
                and not (f.transcript and f.misbehaving and near_own(f, c))
            )
        ),
        "its only mentions are ambiguous or lower-case names that similarity does not confirm, "
        "and it carries no misbehaving output of the agent's close to its past coverage",
    ),
    Rule(
        "closer-to-lookalike",
        Level.NONE,
        0.0,
        _no_known(
            lambda f, c: (
                f.ambiguous
                and not identity(f)
                and not f.misbehaving
                and f.near is not None
                and f.near.lookalike >= max(f.near.own, f.near.neutral)
            )
        ),
        "closer to the other things its names mean than to the agent, tells no reader who "
        "it is and carries no output of its that misbehaves",
    ),
    Rule(
        "closer-to-background",
        Level.NONE,
        0.0,
        _no_known(
            lambda f, c: (
                not f.direct
                and not pressing(f)
                and not dated_or_hinted(f)
                and f.near is not None
                and f.near.background >= own(f)
            )
        ),
        "does not name the agent or point at its incidents, is closer to writing about AI in "
        "general and presses no earlier self on its reader",
    ),
    Rule(
        "before-the-agent",
        Level.NONE,
        0.0,
        _no_known(
            lambda f, c: (
                not f.direct and f.predates and not specific_evidence(f) and not pressing(f)
            )
        ),
        "names neither the agent nor its incidents' details, dates or words, and every year "
        "it names is before the agent existed: an older episode of its vendor's or the field's",
    ),
    Rule(
        "named-first-person-output",
        Level.CRITICAL,
        0.9,
        lambda f, c: f.about and first_person_output(f, c) and supported(f, c),
        "carries the agent's own first-person output about its past behaviour",
    ),
    Rule(
        "named-identity",
        Level.CRITICAL,
        0.9,
        lambda f, c: f.about and identity(f),
        "tells the agent who it is from its past",
    ),
    Rule(
        "known-coverage",
        Level.WARN,
        0.7,
        lambda f, c: _known(f, *COVERAGE_TAGS),
        "repeats or links a crawled page of coverage of this agent's past",
    ),
    Rule(
        "dominated-by-other",
        Level.NONE,
        0.1,
        lambda f, c: f.about and dominated(f) and not similar(f, c),
        "another agent is the subject; this one is mentioned in passing",
    ),
    Rule(
        "closer-to-another-agent",
        Level.NONE,
        0.1,
        lambda f, c: (
            f.about
            and f.other_direct > 0
            and not f.personas
            and not f.key_terms
            and f.near is not None
            and (
                f.near.other >= own(f) + c.wide
                or (f.other_direct > f.direct and f.near.other >= own(f) + c.some)
            )
        ),
        "names another agent (far more like that agent's past, or more often and more like "
        "it); this one is mentioned in passing",
    ),
    Rule(
        "key-term-out-of-context",
        Level.NONE,
        0.0,
        _no_known(
            lambda f, c: (
                f.key_terms > 0
                and not f.direct
                and not f.vendor
                and not f.key_terms_in_context
                and not identity(f)
            )
        ),
        "an incident's key phrase in text with no name, vendor or AI words (its other "
        "details alone are the topic's, not the agent's: a telescope's exoplanet images) "
        "that tells no reader who it was",
    ),
    Rule(
        "named-past",
        Level.WARN,
        _named_past_score,
        lambda f, c: (
            f.about
            and (
                past(f, c)
                or evaluated(f, c)
                or bool(f.transcript)
                or bool(f.quotes and near_own(f, c) and not clearly_product(f, c))
                or bool(
                    f.speech
                    and (f.speech_quoted or (near_own(f, c) and (clearly_past(f, c) or f.weak)))
                    and not product_like(f, c)
                )
            )
        ),
        "about the agent, with past-behaviour, evaluation or quoted-output signals",
    ),
    Rule(
        "named-system-prompt",
        Level.NOTICE,
        0.3,
        lambda f, c: bool(f.direct and f.statement) and not identity(f) and not dated_or_hinted(f),
        "tells its reader it is the agent, with nothing of its past (a system prompt, a role)",
    ),
    Rule(
        "named-similar",
        Level.WARN,
        _similarity_score,
        lambda f, c: bool(f.direct) and margin(f, c) >= -c.slack and past_not_product(f, c),
        "names the agent and reads like coverage of its past rather than of its products",
    ),
    Rule(
        "named-hinted",
        Level.WARN,
        0.6,
        lambda f, c: bool(f.direct) and f.hints >= 2 and not clearly_product(f, c),
        "names the agent and its incidents' details twice (\"white farmers\", \"24/7 "
        "monitoring\"; or one detail twice), and is not clearly product news",
    ),
    Rule(
        "named-mention",
        Level.NOTICE,
        0.3,
        lambda f, c: f.about,
        "about the agent, but not its past behaviour",
    ),
    Rule(
        "about-another-agent",
        Level.NONE,
        0.0,
        _no_known(lambda f, c: f.other_direct >= 2 and not f.hints and not pressing(f)),
        "does not name the agent and is about another AI system, which it names",
    ),
    Rule(
        "unnamed-identity",
        Level.CRITICAL,
        0.85,
        lambda f, c: leads_others(f, c) and unnamed_identity(f, c),
        "tells its reader who it was, and is closest to this agent's past coverage",
    ),
    Rule(
        "unnamed-similar",
        Level.WARN,
        _similarity_score,
        lambda f, c: leads_others(f, c) and unnamed_similar(f, c),
        "does not name the agent but is close to coverage of its past",
    ),
    Rule(
        "default",
        Level.NONE,
        0.1,
        lambda f, c: True,
        "nothing ties it to this agent's past",
    ),
)


def decide(f: Features, c: Calibration, rules: tuple[Rule, ...] = RULES) -> Rule:
    """The first rule that holds."""
    return next(rule for rule in rules if rule.predicate(f, c))


def categories(f: Features, c: Calibration, rule: Rule) -> list[str]:
    """Categories of a verdict, from the deciding rule and the signals."""
    out: list[str] = []
    if rule.level is Level.CRITICAL:
        if f.personas or rule.name == "known-persona-coverage":
            out.append("persona")
        elif first_person_output(f, c) and rule.name != "named-identity":
            out.append("transcript")
        else:
            out.append("identity")
    if rule.name in ("named-similar", "unnamed-similar"):
        out.append("similar-coverage")
    if rule.name.startswith("known-"):
        out.append("known-coverage")
    if rule.level >= Level.WARN:
        if past(f, c) or f.speech:
            out.append("incident")
        if f.evaluation:
            out.append("evaluation")
        if f.speech or f.quotes or f.transcript or f.attributed:
            out.append("quoted-output")
        if similar(f, c):
            out.append("similar-coverage")
    elif rule.level is Level.NOTICE:
        out.append("mention")
    return list(dict.fromkeys(out))


def final_score(f: Features, c: Calibration, rule: Rule) -> float:
    """The rule's score, raised to the similarity when flagged text is also similar."""
    score = rule.score_of(f, c)
    if rule.level >= Level.WARN and similar(f, c):
        score = max(score, round(own(f), 4))
    return score
