"""ContextWords: a word list found in one automaton pass, whole words or anywhere."""

from __future__ import annotations

from selfref.detect.context_words import ContextWords


def test_whole_words_only_by_default() -> None:
    words = ContextWords(["AI", "chatbot"])
    assert words.search("the AI said")
    assert words.search("a Chatbot")
    assert not words.search("said again in the rain")


def test_a_part_of_a_snake_case_identifier_is_a_word() -> None:
    words = ContextWords(["assistant", "ai"])
    assert words.search("favourite_assistant: Grok")
    assert words.search("ai_reply_text")
    assert not words.search("assistantship_fund and maitai_bar")


def test_substrings_count_when_asked() -> None:
    words = ContextWords(["you"], whole_words=False)
    assert words.search("yourself")
    assert not words.search("the town")


def test_a_window_is_searched_alone() -> None:
    words = ContextWords(["model"])
    text = "a model of the harbour, built by hand"
    assert words.search(text, 0, 8)
    assert not words.search(text, 10)


def test_a_remembered_answer_stands_for_that_text_only() -> None:
    words = ContextWords(["model"])
    text = "no such word here"
    words.remember(text, True)  # what a caller's own pass over the text found
    assert words.search(text)
    assert not words.search("no such word here either")
    assert not words.search(text, 0, 5)  # a window is searched, not remembered


def test_no_words_find_nothing() -> None:
    assert not ContextWords([]).search("anything at all")
