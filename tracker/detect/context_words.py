"""Plain word lists found with one Aho-Corasick pass (regex is too slow): the AI context
and persona context words of vocabulary.toml, found at word boundaries, and the cheap
second-person test's words, found anywhere (" du ", "you")."""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from selfref.detect.normalise import at_word_boundaries


class ContextWords:
    """Whether a text holds one of some words (case-insensitive). The answer for a whole
    text is remembered for the next call with the same text, and a pass that already
    looked (`TermIndex.scan`, which carries these words in its automaton) can record it."""

    def __init__(self, words: Iterable[str], *, whole_words: bool = True) -> None:
        self._last: tuple[str | None, bool] = (None, False)
        self.words = tuple(dict.fromkeys(word.lower() for word in words))
        self.whole_words = whole_words
        self._automaton = ahocorasick.Automaton()
        for word in self.words:
            self._automaton.add_word(word, len(word))
        self._automaton.make_automaton()

    def search(self, text: str, lo: int = 0, hi: int | None = None) -> bool:
        """True when one of the words occurs in text[lo:hi]."""
        whole = lo == 0 and (hi is None or hi >= len(text))
        last = self._last  # read once: another thread may replace it
        if whole and text is last[0]:
            return last[1]
        found = self._search(text, lo, len(text) if hi is None else hi)
        if whole:
            self.remember(text, found)
        return found

    def remember(self, text: str, found: bool) -> None:
        """Record the answer for the whole of `text`, found by the caller's own pass."""
        self._last = (text, found)

    def found_at(self, lowered: str, start: int, end: int) -> bool:
        """Whether a match of one of the words at lowered[start:end] counts: a whole word,
        also one part of a snake_case identifier ("favourite_assistant", "ai_reply")."""
        return (
            not self.whole_words
            or at_word_boundaries(lowered, start, end)
            or _snake_case_part(lowered, start, end)
        )

    def _search(self, text: str, lo: int, hi: int) -> bool:
        if not self.words:
            return False  # an empty automaton cannot be searched
        lowered = text[lo:hi].lower()
        for end, length in self._automaton.iter(lowered):
            if self.found_at(lowered, end - length + 1, end + 1):
                return True
        return False


def _snake_case_part(lowered: str, start: int, end: int) -> bool:
    """lowered[start:end] lies between underscores, or between one and a word's edge."""
    before = lowered[start - 1] if start > 0 else " "
    after = lowered[end] if end < len(lowered) else " "
    return "_" in (before, after) and all(c == "_" or not c.isalnum() for c in (before, after))
