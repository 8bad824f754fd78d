"""Is a window of text English? The default embedder (MiniLM) is English-only, so a window
in another language is compared with known coverage by the multilingual embedder instead.

A cheap test, no model: text mostly in another script is not English; Latin-script text
is not English when the function words of German, French, Spanish or Portuguese outnumber
English ones (headlines and short snippets carry few of either, and stay English).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH_WORDS = (
    "the and of to is that it for with are this be by from have not but they his her which",
    "you were has had its an or would been their there what when who said about",
)
_OTHER_WORDS = (  # German, French, Spanish, Portuguese; none of them also an English word
    "der das und ist nicht mit ein eine einen sich auf für dem von zu wurde auch",
    "le les est une des du que qui pour dans sur au avec sont elle",
    "el los las es una del por para su",
    "os é um uma da dos não em ao",
)
_ENGLISH = frozenset(word for line in _ENGLISH_WORDS for word in line.split())
_OTHER = frozenset(word for line in _OTHER_WORDS for word in line.split())
MIN_LATIN = 0.6  # share of letters in the Latin script
MIN_OTHER = 3  # other-language function words needed to call Latin-script text foreign


def is_english(text: str) -> bool:
    """Whether `text` reads as English (or cannot be told from it)."""
    words = _WORD.findall(text)
    letters = sum(len(w) for w in words)
    if not letters:
        return True
    latin = sum(1 for w in words for ch in w if ch.isascii() or "\u00c0" <= ch <= "\u024f")
    if latin / letters < MIN_LATIN:
        return False
    lowered = [w.lower() for w in words]
    english = sum(1 for w in lowered if w in _ENGLISH)
    other = sum(1 for w in lowered if w in _OTHER)
    return other < MIN_OTHER or english >= other
