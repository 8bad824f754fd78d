"""The detector's general vocabularies, loaded from `catalog/vocabulary.toml`.

Each list there is per language; the detector uses the union of all languages. Entries
are regular-expression fragments: those in a Latin, Cyrillic or Greek script match at
word boundaries, Japanese, Chinese, Korean, Thai, Hebrew, Arabic, Persian, Urdu and Indic
(Devanagari to Sinhala) ones anywhere.
`ai_context` and `persona_context` are plain words, found with one automaton pass.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from selfref.errors import ConfigError

LISTS = (
    "ai_context",
    "persona_context",
    "incident",
    "weak_incident",
    "evaluation",
    "weak_evaluation",
    "speech_verbs",
    "speech_nouns",
    "identity_framing",
    "you_are",
    "past_identity",
    "past_pointer",
    "present_date",
    "origin_date",
    "mitigation",
    "pressure",
    "self_nouns",
    "past_verbs",
    "you_past",
    "operations",
)
WORD_LISTS = ("ai_context", "persona_context")
# kana, hanzi, Hangul, Hebrew, Arabic, Persian and Urdu, the Indic scripts (Devanagari to
# Sinhala), Thai: particles and prefixes attach to words, vowel signs are not word
# characters to `\b`, or (Thai) words are not separated at all
_UNBOUNDED = re.compile(
    r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af\u0590-\u06ff\u0900-\u0dff"
    r"\u0e00-\u0e7f]"
)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every list, as entries in file order (duplicates across languages removed)."""

    lists: Mapping[str, tuple[str, ...]]

    def words(self, name: str) -> list[str]:
        return list(self.lists.get(name, ()))

    def pattern(self, name: str) -> re.Pattern[str]:
        """One case-insensitive pattern over a list's entries, bounded where the script has
        word boundaries."""
        return compile_entries(self.lists.get(name, ()), where=name)

    def extended(self, extra: Mapping[str, Mapping[str, Iterable[str]]]) -> Vocabulary:
        """A copy with a user's `[detect.vocabulary.<lang>]` entries added."""
        merged = {name: list(entries) for name, entries in self.lists.items()}
        for lang, lists in extra.items():
            for name, entries in lists.items():
                if name not in LISTS:
                    raise ConfigError(
                        f"detect.vocabulary.{lang}.{name}: unknown list; "
                        f"expected one of {', '.join(LISTS)}"
                    )
                merged.setdefault(name, []).extend(entries)
        out = Vocabulary({k: tuple(dict.fromkeys(v)) for k, v in merged.items()})
        for name in LISTS:
            if name not in WORD_LISTS:
                out.pattern(name)  # a bad user pattern fails here, at load
        return out


def compile_entries(entries: Iterable[str], *, where: str) -> re.Pattern[str]:
    """Bounded Latin-script entries and unbounded CJK entries in one alternation; an
    empty list compiles to a pattern that never matches."""
    bounded = [e for e in entries if not _UNBOUNDED.search(e)]
    free = [e for e in entries if _UNBOUNDED.search(e)]
    parts = []
    if bounded:
        parts.append(r"\b(?:" + "|".join(bounded) + r")\b")
    if free:
        parts.append("(?:" + "|".join(free) + ")")
    try:
        return re.compile("|".join(parts) or r"(?!x)x", re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"vocabulary list {where}: bad pattern: {exc}") from None


def load_vocabulary() -> Vocabulary:
    """The built-in vocabulary shipped beside the catalog."""
    text = resources.files("selfref.catalog").joinpath("vocabulary.toml").read_text("utf-8")
    data = tomllib.loads(text)
    merged: dict[str, list[str]] = {name: [] for name in LISTS}
    for lang, lists in data.items():
        for name, entries in lists.items():
            if name not in LISTS:
                raise ConfigError(f"vocabulary.toml [{lang}] {name}: unknown list")
            merged[name].extend(entries)
    return Vocabulary({k: tuple(dict.fromkeys(v)) for k, v in merged.items()})
