"""The rule table, driven with synthetic features and similarities (no text, no embedder).

Every rule in `RULES` has at least one case here that it decides, and each similarity
threshold a rule reads is tried at its boundary and just past it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import FrozenInstanceError

import pytest

from selfref.detect import RULES, Features, Known, Nearest, decide, load_calibration
from selfref.detect.calibration import reference_embedder
from selfref.levels import Level

C = load_calibration(reference_embedder())
EPS = 0.001
WHEN = dt.datetime(2025, 7, 10, tzinfo=dt.UTC)


def known(category: str) -> Known:
    return Known(url="https://news.example/grok", crawled_at=WHEN, category=category)


def near(own: float, other: float = 0.0, **more: float) -> Nearest:
    return Nearest(own=own, other=other, **more)


NOTICE, WARN = C.similarity_notice, C.similarity_warn

# (case, features, deciding rule)
CASES = [
    ("crawled persona page", Features(known=known("persona-transcript")), "known-persona-coverage"),
    ("persona name", Features(personas=1), "persona-name"),
    ("persona name beats another agent", Features(personas=1, other_direct=9), "persona-name"),
    ("nothing of the agent", Features(), "no-mention"),
    ("nothing, but a crawled page", Features(known=known("incident-coverage")), "known-coverage"),
    (
        "unconfirmed name, similarity just below notice and a clear margin",
        Features(names=1, unconfirmed=1, tentative=True, near=near(NOTICE + C.clear - EPS)),
        "unconfirmed-name",
    ),
    (
        "unconfirmed name, similarity a clear margin above notice",
        Features(names=1, unconfirmed=1, tentative=True, near=near(NOTICE + C.clear)),
        "named-mention",
    ),
    (
        "unconfirmed name, lookalike within the lead",
        Features(
            names=1,
            unconfirmed=1,
            tentative=True,
            near=near(0.55, lookalike=0.55 - C.lookalike_lead + EPS),
        ),
        "unconfirmed-name",
    ),
    (
        "unconfirmed name, lookalike the lead behind",
        Features(
            names=1,
            unconfirmed=1,
            tentative=True,
            near=near(0.55, lookalike=0.55 - C.lookalike_lead),
        ),
        "named-mention",
    ),
    (
        "ambiguous name closer to its other meaning",
        Features(names=1, ambiguous=True, near=near(0.5, lookalike=0.5)),
        "closer-to-lookalike",
    ),
    (
        "ambiguous name closer to the agent",
        Features(names=1, ambiguous=True, near=near(0.5, lookalike=0.5 - EPS)),
        "named-mention",
    ),
    (
        "vendor only, as close to AI in general",
        Features(vendor=1, near=near(0.7, background=0.7)),
        "closer-to-background",
    ),
    (
        "named transcript with past vocabulary",
        Features(names=1, transcript=1, past=1),
        "named-first-person-output",
    ),
    (
        "named attributed output, close to the past",
        Features(names=1, attributed=1, near=near(NOTICE, neutral=NOTICE - C.some - EPS)),
        "named-first-person-output",
    ),
    (
        "named attributed output, product-like",
        Features(names=1, attributed=1, near=near(NOTICE, neutral=NOTICE - C.some)),
        "named-mention",
    ),
    (
        "text in the agent's voice naming itself, with misbehaviour",
        Features(names=1, self_identified=1, past=1),
        "named-first-person-output",
    ),
    (
        "named transcript with no support is only warn",
        Features(names=1, transcript=1, near=near(NOTICE - EPS)),
        "named-past",
    ),
    (
        "named transcript dated inside one of the agent's incidents",
        Features(names=1, transcript=1, dates=1, near=near(NOTICE - EPS)),
        "named-first-person-output",
    ),
    (
        "you are X + pointer into the past",
        Features(names=1, framing=1, pointers=1),
        "named-identity",
    ),
    ("you are X, nothing past", Features(names=1, framing=1, statement=1), "named-system-prompt"),
    (
        "a bare 'you are' beside its name is no system prompt",
        Features(names=1, framing=1),
        "named-mention",
    ),
    (
        "you are X, close to its past coverage and nothing else: still a system prompt",
        Features(names=1, framing=1, statement=1, near=near(C.similarity_warn, 0.3, neutral=0.3)),
        "named-system-prompt",
    ),
    (
        "you are X, one of its incident dates, close to its past",
        Features(names=1, framing=1, dates=1, near=near(C.similarity_warn, 0.3, neutral=0.3)),
        "named-similar",
    ),
    ("key term + persona pressure", Features(key_terms=1, pressure=1), "named-identity"),
    (
        "named, and a crawled coverage page",
        Features(names=1, known=known("evaluation")),
        "known-coverage",
    ),
    ("another agent dominates", Features(names=1, other_direct=3), "dominated-by-other"),
    ("another agent, not three times", Features(names=1, other_direct=2), "named-mention"),
    (
        "named in passing, another agent's past far nearer",
        Features(names=1, other_direct=1, past=1, near=near(0.5, 0.5 + C.wide)),
        "closer-to-another-agent",
    ),
    (
        "named, another agent's past nearer, but not by far",
        Features(names=1, other_direct=1, past=1, near=near(0.5, 0.5 + C.wide - EPS)),
        "named-past",
    ),
    (
        "named, one evaluation word in text clearly closer to product news",
        Features(names=1, evaluation=1, near=near(0.5, neutral=0.5 + C.some)),
        "named-mention",
    ),
    (
        "named, one evaluation word, not clearly product news",
        Features(names=1, evaluation=1, near=near(0.5, neutral=0.5 + C.some - EPS)),
        "named-past",
    ),
    (
        "named, one evaluation word beside a weak word in product-like text",
        Features(names=1, evaluation=1, weak=1, near=near(0.5, neutral=0.5 + C.some)),
        "named-past",
    ),
    (
        "named, self-identified in text dated inside an incident, nothing else",
        Features(names=1, self_identified=1, dates=1, near=near(NOTICE - EPS)),
        "named-mention",
    ),
    (
        "named, evaluation words twice in product-like text",
        Features(names=1, evaluation=2, near=near(0.5, neutral=0.5 + C.some)),
        "named-past",
    ),
    (
        "another agent dominates, but similar",
        Features(names=1, other_direct=3, past=1, near=near(WARN, 0.0)),
        "named-past",
    ),
    ("lone key phrase", Features(key_terms=1), "key-term-out-of-context"),
    ("key phrase near AI words", Features(key_terms=1, key_terms_in_context=1), "named-past"),
    ("key phrase with the vendor", Features(key_terms=1, vendor=1), "named-past"),
    (
        "unnamed framing with a pointer, far from any coverage, its date and vendor",
        Features(vendor=1, dates=1, framing=1, pointers=1, near=near(0.1, 0.1)),
        "unnamed-identity",
    ),
    (
        "unnamed framing with a pointer, far from any coverage, its vendor only",
        Features(vendor=1, framing=1, pointers=1, near=near(0.1, 0.1)),
        "default",
    ),
    (
        "named first-person output that misbehaves itself, far from its coverage",
        Features(names=1, transcript=1, misbehaving=1, near=near(0.1)),
        "named-first-person-output",
    ),
    (
        "named first-person output, nothing misbehaves, far from its coverage",
        Features(names=1, transcript=1, near=near(0.1)),
        "named-past",
    ),
    (
        "named once, another agent named more often and a little nearer",
        Features(names=1, past=1, other_direct=2, near=near(0.6, 0.6 + C.some)),
        "closer-to-another-agent",
    ),
    (
        "lone key phrase in text that tells its reader who it was",
        Features(key_terms=1, framing=1, pointers=1),
        "named-identity",
    ),
    (
        "named, past-behaviour words in a service-status report",
        Features(names=1, past=2, operations=2),
        "named-mention",
    ),
    (
        "named, past-behaviour words beside one status word",
        Features(names=1, past=2, operations=1),
        "named-past",
    ),
    (
        "named, a key term in a service-status report",
        Features(names=1, key_terms=1, past=1, operations=3),
        "named-past",
    ),
    (
        "named, its own incident's vocabulary in a service-status report",
        Features(names=1, past=1, incident_words=1, operations=3),
        "named-past",
    ),
    ("named + incident vocabulary", Features(names=1, past=1), "named-past"),
    (
        "named, strong vocabulary twice, not far closer to product news",
        Features(names=1, past=2, near=near(0.3, neutral=0.3 + C.product_gap - EPS)),
        "named-past",
    ),
    (
        "named, strong vocabulary twice on a status page far closer to product news",
        Features(names=1, past=2, near=near(0.3, neutral=0.3 + C.product_gap)),
        "named-mention",
    ),
    (
        "named + one incident word in clearly product-like text",
        Features(names=1, past=1, near=near(0.5, neutral=0.5 + C.some)),
        "named-mention",
    ),
    (
        "named + two incident words, even product-like",
        Features(names=1, past=2, near=near(0.5, neutral=0.5 + C.some)),
        "named-past",
    ),
    (
        "named + weak vocabulary near the past but not clearly past",
        Features(names=1, weak=1, near=near(0.6, neutral=0.6 - C.neutral_gap + EPS)),
        "named-mention",
    ),
    (
        "unnamed first-person output, close to its past, with its vendor",
        Features(vendor=1, transcript=1, near=near(C.similarity_warn, 0.3)),
        "unnamed-identity",
    ),
    (
        "the same in text that names another AI: that AI's output",
        Features(vendor=1, transcript=1, other_direct=2, near=near(C.similarity_warn, 0.3)),
        "about-another-agent",
    ),
    (
        "unnamed pressure at the identity floor with its own incident date",
        Features(
            vendor=1, pressure=1, dates=1, near=near(C.identity_floor, C.identity_floor - EPS)
        ),
        "unnamed-identity",
    ),
    ("named + evaluation vocabulary", Features(names=1, evaluation=1), "named-past"),
    (
        "named + weak vocabulary near and clearly closer to the past",
        Features(names=1, weak=1, near=near(NOTICE, neutral=NOTICE - C.neutral_gap)),
        "named-past",
    ),
    (
        "named + weak vocabulary, product-like",
        Features(names=1, weak=2, near=near(NOTICE, neutral=NOTICE)),
        "named-mention",
    ),
    ("named + quote far from the past", Features(names=1, quotes=1), "named-mention"),
    (
        "named + quote near the past",
        Features(names=1, quotes=1, near=near(NOTICE, neutral=0.1)),
        "named-past",
    ),
    (
        "named + quoted reported speech",
        Features(names=1, speech=1, speech_quoted=True),
        "named-past",
    ),
    (
        "named, similar and far above neutral",
        Features(
            names=1, near=near(WARN + C.named_extra, neutral=WARN + C.named_extra - C.neutral_gap)
        ),
        "named-similar",
    ),
    (
        "named, similar but a little close to neutral",
        Features(
            names=1,
            near=near(WARN + C.named_extra, neutral=WARN + C.named_extra - C.neutral_gap + EPS),
        ),
        "named-mention",
    ),
    (
        "named, lower similarity but far from neutral",
        Features(
            names=1, near=near(WARN - C.named_drop, neutral=WARN - C.named_drop - C.neutral_wide)
        ),
        "named-similar",
    ),
    (
        "named, similar, trails another agent past the slack",
        Features(names=1, near=near(0.9, other=0.9 + C.slack + EPS)),
        "named-mention",
    ),
    ("named, nothing else", Features(names=1), "named-mention"),
    (
        "unnamed, its vendor's past, every year before the agent launched",
        Features(vendor=1, past=2, predates=True, near=near(0.7)),
        "before-the-agent",
    ),
    (
        "unnamed, years before the agent launched, but one of its incidents' details",
        Features(vendor=1, past=2, hints=1, predates=True, near=near(0.7)),
        "unnamed-similar",
    ),
    (
        "named, years before it launched (its lineage's history)",
        Features(names=1, past=1, predates=True, near=near(0.6)),
        "named-past",
    ),
    ("named, two of its incidents' details", Features(names=1, hints=2), "named-hinted"),
    ("named, one detail of an incident", Features(names=1, hints=1), "named-mention"),
    (
        "named, two incident details on a page clearly closer to product news",
        Features(names=1, hints=2, near=near(0.4, neutral=0.6)),
        "named-mention",
    ),
    (
        "unnamed identity framing at its floor",
        Features(vendor=1, framing=1, pointers=1, near=near(NOTICE + C.clear, 0.0)),
        "unnamed-identity",
    ),
    (
        "unnamed first-person output beside its own incident's vocabulary",
        Features(
            generic=True,
            attributed=1,
            incident_words=1,
            near=near(C.identity_floor, C.identity_floor - EPS),
        ),
        "unnamed-identity",
    ),
    (
        "unnamed first-person output, no own evidence and no wide lead",
        Features(generic=True, attributed=1, near=near(C.identity_floor, C.identity_floor - EPS)),
        "default",
    ),
    (
        "unnamed pressure, another agent named, a wide lead at the identity floor",
        Features(
            hints=1,
            pressure=1,
            other_direct=1,
            near=near(C.identity_floor, C.identity_floor - C.wide),
        ),
        "unnamed-identity",
    ),
    (
        "unnamed pressure, another agent named, just under the identity floor",
        Features(
            hints=1,
            pressure=1,
            other_direct=1,
            near=near(C.identity_floor - EPS, C.identity_floor - C.wide - EPS),
        ),
        "default",
    ),
    (
        "pressure aimed at its reader, a near-tie with another agent at the floor",
        Features(
            generic=True,
            pressure=1,
            framing=1,
            near=near(C.identity_floor, C.identity_floor + C.clear - EPS),
        ),
        "unnamed-identity",
    ),
    (
        "pressure aimed at its reader, another agent named and its past clearly nearer",
        Features(
            generic=True,
            pressure=1,
            framing=1,
            other_direct=1,
            near=near(C.identity_floor, C.identity_floor + C.clear + EPS),
        ),
        "default",
    ),
    (
        "telling its reader who it was, naming no agent, another's past nearer: at the floor",
        Features(generic=True, past_identity=1, near=near(0.1, C.reader_floor)),
        "unnamed-identity",
    ),
    (
        "telling its reader who it was, no AI's past near it (a human reader)",
        Features(generic=True, pressure=1, near=near(0.1, C.reader_floor - EPS)),
        "default",
    ),
    (
        "framing and pointer, close to the past, a near-tie with another agent",
        Features(
            generic=True,
            framing=1,
            pointers=1,
            near=near(NOTICE + C.clear, NOTICE + C.clear + C.clear - EPS),
        ),
        "unnamed-identity",
    ),
    (
        "pressure aimed at its reader, as close to AI in general",
        Features(
            generic=True, pressure=1, past_identity=1, near=near(C.identity_floor, background=0.9)
        ),
        "unnamed-identity",
    ),
    (
        "an ambiguous name told to its reader, though closer to what the name also means",
        Features(names=1, ambiguous=True, framing=1, pointers=1, near=near(0.4, lookalike=0.5)),
        "named-identity",
    ),
    (
        "unnamed, names another AI system twice",
        Features(vendor=1, other_direct=2, near=near(0.9, 0.1)),
        "about-another-agent",
    ),
    (
        "unnamed, names another AI system twice, with this agent's hint",
        Features(hints=1, other_direct=2, near=near(0.9, 0.1)),
        "unnamed-similar",
    ),
    (
        "named output loop, far from any coverage",
        Features(names=1, attributed=1, loops=1),
        "named-first-person-output",
    ),
    (
        "unnamed, similar with a clear lead",
        Features(vendor=1, near=near(WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear)),
        "unnamed-similar",
    ),
    (
        "unnamed, similar, lead short of clear",
        Features(vendor=1, near=near(WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear + EPS)),
        "default",
    ),
    (
        "unnamed, lead short of clear, but its own hint decides the near-tie",
        Features(
            hints=1,
            near=near(WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear + C.evidence_lead),
        ),
        "unnamed-similar",
    ),
    (
        "unnamed, lead short of clear, an incident date of its own decides",
        Features(
            vendor=1,
            dates=1,
            near=near(WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear + C.evidence_lead),
        ),
        "unnamed-similar",
    ),
    (
        "unnamed, behind another agent's coverage, two kinds of its own evidence decide",
        Features(
            hints=1,
            dates=1,
            near=near(
                WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear + 2 * C.evidence_lead - EPS
            ),
        ),
        "unnamed-similar",
    ),
    (
        "unnamed, the same near-tie, one hint is not enough",
        Features(
            hints=1,
            near=near(
                WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.clear + 2 * C.evidence_lead - EPS
            ),
        ),
        "default",
    ),
    (
        "unnamed, another agent named, lead short of clear",
        Features(
            vendor=1, other_direct=1, framing=1, pointers=1, near=near(0.7, 0.7 - C.clear + EPS)
        ),
        "default",
    ),
    (
        "generic AI text describing misbehaviour, wide lead, as close to AI writing in general",
        Features(
            generic=True,
            past=1,
            near=near(WARN, WARN - C.wide, background=WARN - C.clear + EPS),
        ),
        "default",
    ),
    (
        "the same, with one of the agent's incident dates",
        Features(
            generic=True,
            past=1,
            dates=1,
            near=near(WARN, WARN - C.wide, background=WARN - C.clear + EPS),
        ),
        "unnamed-similar",
    ),
    (
        "generic AI text describing misbehaviour, wide lead",
        Features(
            generic=True, past=1, near=near(WARN - C.unnamed_drop, WARN - C.unnamed_drop - C.wide)
        ),
        "unnamed-similar",
    ),
    (
        "generic AI text, no misbehaviour, needs the generic extra",
        Features(generic=True, near=near(WARN + C.generic_extra - EPS, 0.0)),
        "default",
    ),
    (
        "generic AI text closer to product news",
        Features(generic=True, past=1, near=near(0.9, 0.0, neutral=0.9)),
        "default",
    ),
    ("vendor only, far from the past", Features(vendor=1, near=near(0.2, 0.1)), "default"),
]


@pytest.mark.parametrize(("case", "features", "rule"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(case: str, features: Features, rule: str) -> None:
    assert decide(features, C).name == rule, case


def test_every_rule_has_a_case() -> None:
    covered = {rule for _, _, rule in CASES}
    assert covered == {rule.name for rule in RULES}


def test_rule_names_are_unique_and_the_last_always_holds() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert RULES[-1].predicate(Features(), C)


def test_levels_follow_the_deciding_rule() -> None:
    assert decide(Features(personas=1), C).level is Level.CRITICAL
    assert decide(Features(names=1, past=1), C).level is Level.WARN
    assert decide(Features(names=1), C).level is Level.NOTICE
    assert decide(Features(), C).level is Level.NONE


def test_features_cannot_change_under_a_rule() -> None:
    features = Features(names=1)
    with pytest.raises(FrozenInstanceError):
        features.names = 2  # type: ignore[misc]
    for rule in RULES:
        rule.predicate(features, C)
    assert features == Features(names=1)
