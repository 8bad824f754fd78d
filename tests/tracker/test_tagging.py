"""Tagging crawled pages with the detector's knowledge: agents, incidents, personas, category."""

from __future__ import annotations

import pytest

from tracker.catalog import Catalog, load_builtin
from tracker.detect import Detector
from tracker.tagging import Tags, tag


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
