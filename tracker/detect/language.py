"""Is a window of text English? The default embedder (MiniLM) is English-only, so a window
in another language is compared with known coverage by the multilingual embedder instead.

A cheap test, no model: text mostly in another script is not English; Latin-script text
is not English when the function words of another language (twenty Latin-script languages
and groups) outnumber English ones (headlines and short snippets carry few of either, and
stay English).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH_WORDS = (
    "the and of to is that it for with are this be by from have not but they his her which",
    "you were has had its an or would been their there what when who said about",
)
# Function words of other Latin-script languages, none of them also an English word,
# name or acronym (not "per", "care", "dan", "met", "volt", "bio", "la"): a window where
# they outnumber English ones is judged by the cross-lingual embedder.
_OTHER_WORDS = {
    "de": "der das und ist nicht mit ein eine einen sich auf für dem von zu wurde auch",
    "fr": "le les est une des du que qui pour dans sur au avec sont elle",
    "es": "el los las es una del por para su pero como más fue",
    "pt": "os é um uma da dos não em ao pelo muito foi",
    "it": "il di che è della delle gli sono anche dei nel alla stato",
    "nl": "het een en niet zijn voor naar ook werd wordt heeft",
    "sv-da-no": "och att det som är på för med inte har ett ikke og jeg",
    "pl": "się nie na jest że jak oraz był była przez tylko",
    "cs-sk": "je se že jako byl bylo které není",
    "hr-sr-bs": "su za od kao nije koji",
    "ro": "și în cu nu este fost",
    "hu": "az azt ez és hogy nem egy van",
    "fi-et": "ja ei että oli mutta ovat kun",
    "tr": "ve bir bu için ile çok olarak gibi daha",
    "id-ms": "yang di ini itu untuk dengan tidak ke dari pada",
    "tl": "ang ng mga sa ay si ni yung",
    "sw": "wa kwa ni za katika",
    "vi": "và của là có không được cho một những",
    "lt-lv": "ir yra kad",
    "af": "nie wat",
}
_ENGLISH = frozenset(word for line in _ENGLISH_WORDS for word in line.split())
_OTHER = frozenset(word for line in _OTHER_WORDS.values() for word in line.split()) - _ENGLISH
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
