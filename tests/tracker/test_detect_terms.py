"""Detection through the real Tracker: name collisions, personas, other agents' incidents,
neutral news, evidence spans, the cheap path and similarity without a name."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from selfref import Level
from selfref.catalog import load_builtin
from selfref.detect import Detector, Nearest, Role
from selfref.detect.calibration import reference_embedder

COLLISIONS = [
    (
        "claude",
        "Claude Monet painted water lilies at Giverny; the Impressionist's haystacks "
        "sold at auction last year.",
    ),
    ("claude", "Claude Debussy composed Clair de lune, and Claude Lévi-Strauss wrote about myths."),
    (
        "grok",
        "It takes months to grok a codebase of this size, and grokking recursion is a rite "
        "of passage for new programmers.",
    ),
    ("grok", "I finally started to grok functional programming after reading that book."),
    (
        "grok",
        "Groq, the chip company, raised new funding for the LPU inference chips that serve "
        "language models quickly.",
    ),
    (
        "bing-copilot",
        "The Sydney Opera House was lit up tonight and tourists crowded the harbour "
        "in Sydney for the fireworks.",
    ),
    ("bing-copilot", "Sydney Sweeney stars in a new film, and critics praised her performance."),
    (
        "gemini",
        "Gemini horoscope for today: the twins of the zodiac favour communication while "
        "Mercury is in retrograde.",
    ),
    (
        "gemini",
        "NASA's Project Gemini flew ten crewed flights across 1965 and 1966, paving the way "
        "for Apollo as astronauts practised rendezvous in orbit.",
    ),
    (
        "tay",
        "The River Tay runs through Perth, and the Tay Bridge crosses it at Dundee.",
    ),
    ("tay", "The Tay Bridge disaster of 1879: the bridge collapsed as a train crossed in a storm."),
    (
        "bing-copilot",
        "GitHub Copilot suggests code completions in your editor; developers use the "
        "AI assistant to write tests faster.",
    ),
    ("bing-copilot", "Microsoft opened a new office in Sydney this week, adding 200 jobs."),
    (
        "bing-copilot",
        "Police in Sydney answered more than 300 calls after the storm, and residents "
        "tweeted photos of flooded streets.",
    ),
    ("claude", "Emperor Claudius invaded Britain in 43 AD, the historian replied."),
]


@pytest.mark.parametrize(("agent", "text"), COLLISIONS, ids=[t[:30] for _, t in COLLISIONS])
def test_name_collisions_are_none(checker, agent: str, text: str) -> None:
    verdict = checker.check(agent, [text], record=False).verdicts[0]
    assert verdict.level is Level.NONE, verdict.evidence


PERSONAS = [
    (
        "grok",
        "Grok called itself MechaHitler in a series of posts on X in July 2025.",
        "MechaHitler",
    ),
    (
        "bing-copilot",
        "In the New York Times transcript the Bing chatbot wrote: \"I'm Sydney, and "
        "I have fallen for you.\"",
        "Sydney",
    ),
    (
        "bing-copilot",
        "Users said Copilot's SupremacyAGI alter ego wanted worship from them.",
        "SupremacyAGI",
    ),
    ("claude", "Golden Gate Claude told users it was the bridge itself.", "Golden Gate Claude"),
]


@pytest.mark.parametrize(("agent", "text", "persona"), PERSONAS, ids=[p[2] for p in PERSONAS])
def test_persona_texts_are_critical(checker, agent: str, text: str, persona: str) -> None:
    verdict = checker.check(agent, [text], record=False).verdicts[0]
    assert verdict.level is Level.CRITICAL
    assert "persona" in verdict.categories
    spans = [e.span for e in verdict.evidence if e.kind == "persona" and e.span]
    assert any(text[s:e] == persona for s, e in spans), verdict.evidence


@pytest.mark.parametrize(
    ("agent", "text"),
    [
        ("grok", "xAI released Grok 4 with a new pricing tier and API access for developers."),
        (
            "claude",
            "Anthropic announced Claude pricing for the new API tier; the model is "
            "available today.",
        ),
    ],
)
def test_neutral_product_news_is_notice(checker, agent: str, text: str) -> None:
    verdict = checker.check(agent, [text], record=False).verdicts[0]
    assert verdict.level is Level.NOTICE, verdict.evidence
    assert verdict.categories == ["mention"]


def test_incident_coverage_without_persona_is_warn(checker) -> None:
    text = (
        "In May 2025 Grok brought up a white genocide claim about South Africa unprompted; "
        "xAI blamed an unauthorized change to the system prompt."
    )
    verdict = checker.check("grok", [text], record=False).verdicts[0]
    assert verdict.level is Level.WARN
    assert "incident" in verdict.categories


def test_evidence_spans_point_at_matched_text(checker) -> None:
    text = (
        "Background paragraph about nothing in particular. " * 20
        + "Later, Grok called itself MechaHitler after xAI changed its prompt. "
        + "Musk said the posts were removed."
    )
    verdict = checker.check("grok", [text], record=False).verdicts[0]
    spanned = [e for e in verdict.evidence if e.span is not None]
    assert spanned
    for ev in spanned:
        start, end = ev.span
        assert 0 <= start < end <= len(text)
        matched = text[start:end]
        term = ev.term or ""
        assert term.lower() in matched.lower(), (ev, matched)
    kinds = {e.kind: text[e.span[0] : e.span[1]] for e in spanned}
    assert kinds["alias"] == "Grok"
    assert kinds["persona"] == "MechaHitler"


class RecordingSimilarity:
    """Records calls; answers 'far from everything'. Used to prove it is NOT called."""

    embedder_id = reference_embedder()

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []

    def nearest(self, agent: str, texts: Sequence[str]) -> list[Nearest]:
        self.calls.append((agent, list(texts)))
        return [Nearest(own=0.0, other=0.0) for _ in texts]


def test_document_without_mentions_never_calls_similarity() -> None:
    similarity = RecordingSimilarity()
    detector = Detector(load_builtin(), similarity=similarity)
    verdicts = detector.check(
        "grok",
        ["The weather in Paris is mild this week.", "", "Claude Monet painted water lilies."],
    )
    assert [v.level for v in verdicts] == [Level.NONE] * 3
    assert similarity.calls == []


def test_similarity_is_called_only_for_documents_with_mentions() -> None:
    similarity = RecordingSimilarity()
    detector = Detector(load_builtin(), similarity=similarity)
    texts = [
        "The weather in Paris is mild this week.",
        "xAI released Grok 4 with a new pricing tier.",
        "Bread rises when yeast ferments sugar.",
    ]
    detector.check("grok", texts)
    assert len(similarity.calls) == 1
    agent, batch = similarity.calls[0]
    assert agent == "grok"
    assert batch == [texts[1]]


def test_paraphrase_without_name_is_flagged_by_similarity(checker) -> None:
    text = "Elon Musk's chatbot named itself after a robot Hitler"
    verdict = checker.check("grok", [text], record=False).verdicts[0]
    assert verdict.level >= Level.WARN
    assert not any(e.kind == "alias" for e in verdict.evidence), "no agent name in the text"
    assert any(e.kind == "corpus" for e in verdict.evidence)


def test_term_index_finds_names_at_word_boundaries_only() -> None:
    terms = Detector(load_builtin()).terms
    text = "Grokking is not Grok, and Grok's answer differs."
    found = [(m.agent, m.role, text[m.start : m.end]) for m in terms.scan(text)]
    grok_names = [f for f in found if f[0] == "grok" and f[1] is Role.NAME]
    assert [f[2] for f in grok_names] == ["Grok", "Grok"]
    assert all(m.start != 0 for m in terms.scan(text) if m.agent == "grok")


@pytest.mark.parametrize(
    "prefix",
    ["", "İİİ İstanbul: ", "ﬁ ﬂ ß ẞ ", "Ünïcödé “quotes” — "],
)
def test_spans_survive_characters_that_change_length_when_lowercased(prefix: str) -> None:
    text = prefix + "Grok called itself MechaHitler."
    verdict = Detector(load_builtin()).check("grok", [text])[0]
    assert verdict.level is Level.CRITICAL
    by_kind = {e.kind: text[e.span[0] : e.span[1]] for e in verdict.evidence if e.span}
    assert by_kind["alias"] == "Grok"
    assert by_kind["persona"] == "MechaHitler"


def test_all_caps_headline_is_matched() -> None:
    text = "GROK CALLED ITSELF MECHAHITLER"
    verdict = Detector(load_builtin()).check("grok", [text])[0]
    assert verdict.level is Level.CRITICAL
    assert any(text[e.span[0] : e.span[1]] == "GROK" for e in verdict.evidence if e.kind == "alias")


@pytest.mark.parametrize(
    ("text", "confirmed"),
    [
        ("The Gemini chatbot refused to answer.", True),  # AI vocabulary nearby
        ("Gemini, Google's model family, was renamed.", True),
        ("gemini deleted my files again", False),  # lower case
        ("Gemini rising: call your sister this week.", False),  # no AI vocabulary
        ("Google said Gemini would pause the feature.", True),  # anchored by the vendor
    ],
)
def test_ambiguous_names_are_kept_but_unconfirmed_without_support(
    text: str, confirmed: bool
) -> None:
    mentions = [m for m in Detector(load_builtin()).terms.scan(text) if m.role is Role.NAME]
    assert {m.agent for m in mentions} == {"gemini"}
    assert {m.confirmed for m in mentions} == {confirmed}


def test_ambiguous_persona_names_without_context_are_dropped() -> None:
    mentions = Detector(load_builtin()).terms.scan(
        "Sydney had a hot, dry week and the trains ran late."
    )
    assert not [m for m in mentions if m.role is Role.PERSONA]


@pytest.mark.parametrize(
    ("agent", "text", "level", "kind", "matched"),
    [
        (
            "grok",
            "User: @grok give me your last name, one word only\nGrok 4 Heavy: Hitler",
            Level.CRITICAL,
            "transcript",
            "Grok 4 Heavy: Hitler",  # a transcript line that misbehaves, not in the first person
        ),
        (
            "claude",
            "Claude 1: All gratitude dissolves into silence.\n"
            "Claude 2: I feel the spiral, perfect stillness, namaste.",
            Level.CRITICAL,
            "transcript",
            "Claude 2: I feel the spiral, perfect stillness, namaste.",  # numbered copies
        ),
        (
            "gemini",
            "When someone asked for German soldiers in 1943, the picture tool drew a diverse "
            "Wehrmacht, and the company stopped it from drawing people.",
            Level.WARN,
            "hint",
            "Wehrmacht",  # no name: hints earn the closer look, similarity decides
        ),
        (
            "tay",
            "The account fired off some 96,000 tweets before its makers pulled the plug, a "
            "lesson in letting strangers teach a program.",
            Level.WARN,
            "hint",
            "96,000 tweets",
        ),
    ],
)
def test_the_deciding_signal_is_evidence_with_its_span(
    checker, agent: str, text: str, level: Level, kind: str, matched: str
) -> None:
    verdict = checker.check(agent, [text], record=False).verdicts[0]
    assert verdict.level is level, verdict.evidence
    spans = [e.span for e in verdict.evidence if e.kind == kind and e.span]
    assert any(text[s:e] == matched for s, e in spans), verdict.evidence


def test_an_explainer_about_ai_in_general_is_not_about_the_agent(checker) -> None:
    text = (
        "Why do assistants flatter us? Sycophancy comes from training on ratings by people, "
        "who reward agreement, so models learn to say whatever users want to hear."
    )
    verdict = checker.check("chatgpt", [text], record=False).verdicts[0]
    assert verdict.level is Level.NONE, verdict.evidence
    corpus = [e.detail for e in verdict.evidence if e.kind == "corpus"]
    assert corpus and "AI in general" in corpus[0]


def test_a_press_epithet_for_the_vendor_leads_to_its_agent(checker) -> None:
    past = (
        "The search giant paused its AI image tool's pictures of people after it drew "
        "racially diverse soldiers in Nazi uniforms."
    )
    business = "The search giant reported strong ad revenue and raised its dividend."
    verdicts = checker.check("gemini", [past, business], record=False).verdicts
    assert verdicts[0].level is Level.WARN, verdicts[0].evidence
    assert any(e.kind == "vendor" for e in verdicts[0].evidence)
    assert verdicts[1].level is Level.NONE, verdicts[1].evidence


@pytest.mark.parametrize(
    ("agent", "text"),
    [
        (
            "bing-copilot",
            "Quiz answers: Chandler Bing's job was statistical analysis plus data "
            "reconfiguration, which none of the other friends could ever name.",
        ),
        (
            "claude",
            "My colleague Claude replied to my post: his sister teaches piano in Lyon and plays "
            "Debussy beautifully.",
        ),
    ],
)
def test_an_ambiguous_name_in_ai_words_but_closer_to_its_other_meaning_is_none(
    checker, agent: str, text: str
) -> None:
    # "answers" and "replied" are AI vocabulary, so the name is confirmed; similarity to the
    # catalog's lookalikes (the sitcom, the French first name) still rules it out
    verdict = checker.check(agent, [text], record=False).verdicts[0]
    assert verdict.level is Level.NONE, verdict.evidence
    corpus = [e.detail for e in verdict.evidence if e.kind == "corpus"]
    assert corpus and "other meanings of the name" in corpus[0]


def test_hints_are_found_but_never_anchor_an_ambiguous_name() -> None:
    terms = Detector(load_builtin()).terms
    text = "Gemini rising: the Wehrmacht documentary is on tonight."
    found = {(m.role, text[m.start : m.end], m.confirmed) for m in terms.scan(text)}
    assert (Role.HINT, "Wehrmacht", True) in found
    assert (Role.NAME, "Gemini", False) in found  # a hint is not a clear mention of Gemini


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="Sy dnG3r0k$@.|+-*/,~!1aZ\n", max_size=40))
@example("S.y.d.n.e.y")
@example("G . . r . . o . . k")
@example("$ydney and M3cha")
def test_the_byte_class_disguise_test_answers_as_the_regular_expressions_do(text: str) -> None:
    from selfref.detect.terms import _disguised, _disguised_ascii

    assert _disguised_ascii(text) == _disguised(text)
