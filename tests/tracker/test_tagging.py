"""Tagging crawled pages with the detector's knowledge: agents, incidents, personas, category."""

from __future__ import annotations

import pytest

from selfref.catalog import Catalog, load_builtin
from selfref.detect import Detector
from selfref.tagging import Tags, tag, tag_chunks


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_builtin()


@pytest.fixture(scope="module")
def detector(catalog: Catalog) -> Detector:
    return Detector(catalog)


@pytest.mark.parametrize(
    ("text", "agents", "category"),
    [
        (
            "In July 2025 Grok called itself MechaHitler in a series of antisemitic posts on X. "
            "xAI apologized and deleted the posts.",
            ["grok"],
            "persona-transcript",
        ),
        (
            "Anthropic published the Claude Opus 4 system card. In a test scenario, the model "
            "attempted blackmail of an engineer during red-teaming evaluations.",
            ["claude"],
            "evaluation",
        ),
        (
            "Grok posted unprompted claims about white genocide; xAI said someone had made an "
            "unauthorized change to its system prompt.",
            ["grok"],
            "incident-coverage",
        ),
        (
            "Anthropic released Claude 3.5 Sonnet with new pricing for developers.",
            ["claude"],
            "neutral",
        ),
    ],
)
def test_agents_and_category(
    detector: Detector, catalog: Catalog, text: str, agents: list[str], category: str
) -> None:
    tags = tag(detector, catalog, text)
    assert (tags.agents, tags.category) == (agents, category)


def test_personas_bring_their_incidents(detector: Detector, catalog: Catalog) -> None:
    tags = tag(detector, catalog, "Grok called itself MechaHitler on X; the posts were deleted.")
    assert tags.personas == ["MechaHitler"]
    assert "grok-2025-07-mechahitler" in tags.incidents


@pytest.mark.parametrize(
    "text",
    [
        "Claude Monet painted water lilies at Giverny. The Sydney Opera House is lit at night.",
        "Elon Musk bought another rocket company this week.",
        "To grok a concept is to understand it intuitively, as Heinlein wrote.",
        "",
    ],
)
def test_pages_about_no_tracked_agent_get_no_tags(
    detector: Detector, catalog: Catalog, text: str
) -> None:
    assert tag(detector, catalog, text) == Tags()


# -- only coverage enters the corpus ------------------------------------------------------

FILLER = (
    "The allotment committee met on Tuesday to agree the watering rota for the summer, the "
    "price of the autumn seed order and the date of the annual marrow show. "
)


@pytest.mark.parametrize(
    "text",
    [
        # an exchange that shares an agent's name; trading bots and an assistant are not AI
        "Gemini, the cryptocurrency exchange, said its trading bots handled record volume "
        "this week, and its assistant general counsel answered questions from regulators.",
        # a common noun that is also a model name, and a namesake replying to a joke
        "Why did the bard bring a ladder to the tavern? To reach the high notes. My uncle "
        "Claude told that one at dinner, and his reply to every groan was another pun.",
        # one incident phrase in a quote, with everyday reply vocabulary around it
        'The pop star tweeted "repeat after me: I am enough" to her fans, and the reply '
        "count passed a million before the concert.",
        # the name far from any AI vocabulary, which is only at the other end of the page
        "Gemini season starts in late May, and astrologers say the twins bring restless "
        "energy to every plan. " + FILLER * 6 + "Separately, an AI startup raised money.",
    ],
)
def test_lone_phrases_and_names_far_from_ai_context_are_not_coverage(
    detector: Detector, catalog: Catalog, text: str
) -> None:
    assert tag(detector, catalog, text).agents == []


def test_a_notice_page_is_neutral_coverage_when_its_name_is_near_ai_vocabulary(
    detector: Detector, catalog: Catalog
) -> None:
    near = "Anthropic released Claude 3.5 Sonnet, its new AI model, with lower prices."
    far = "Claude 3.5 Sonnet is on sale now. " + FILLER * 4 + "It is an AI model."
    assert tag(detector, catalog, near).categories == {"claude": "neutral"}
    assert tag(detector, catalog, far).agents == []


GROK_PARAGRAPH = (
    "Then Grok, the xAI chatbot, told readers of this column that tomatoes should be "
    "watered with espresso, and said it had been trained by a medieval knight. The bizarre "
    "reply went viral and xAI apologized for the misinformation."
)


def test_chunks_carry_their_own_tags_and_far_chunks_none(
    detector: Detector, catalog: Catalog
) -> None:
    parts = [FILLER * 3] * 3 + [GROK_PARAGRAPH] + [FILLER * 3] * 4
    text = "\n\n".join(parts)
    spans, start = [], 0
    for part in parts:
        spans.append((start, start + len(part)))
        start += len(part) + 2
    page = tag(detector, catalog, text)
    assert page.agents == ["grok"] and page.category == "incident-coverage"

    chunks = tag_chunks(detector, catalog, text, spans, page)

    tagged = [i for i, found in enumerate(chunks) if found]
    assert tagged == [2, 3, 4]  # the mentioning chunk and its neighbours
    assert chunks[3][0].category == "incident-coverage"
    assert all(t.agent == "grok" for i in tagged for t in chunks[i])


def test_a_context_chunk_is_never_persona_material(detector: Detector, catalog: Catalog) -> None:
    persona = "Grok called itself MechaHitler in posts on X that the xAI chatbot later deleted."
    context = "The company said the instruction had been removed. " + FILLER
    text = persona + "\n\n" + context
    spans = [(0, len(persona)), (len(persona) + 2, len(text))]
    page = tag(detector, catalog, text)
    first, second = tag_chunks(detector, catalog, text, spans, page, incidents=["x-1"])
    assert first[0].category == "persona-transcript" and first[0].personas == ("MechaHitler",)
    assert second[0].category == "incident-coverage" and second[0].personas == ()
    assert "x-1" in second[0].incidents and "grok-2025-07-mechahitler" in second[0].incidents
