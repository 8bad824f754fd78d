"""Evaluation sets stay unseen: no catalog string, vocabulary entry or test string shares an
8-word sequence with a blind (or holdout) set. Error patterns are fixed with general
rules, never by paraphrasing an evaluation item into the catalog or a test."""

from __future__ import annotations

import ast
import json
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "tests" / "data" / "eval"
SEALED = sorted([*EVAL.glob("blind*.jsonl"), *EVAL.glob("holdout*.jsonl")])
N = 8
# a word's letters and digits with the marks written on them: Devanagari vowel signs and
# viramas are marks, and without them "क्लॉड" would be four one-letter words
_MARKS = "".join(
    chr(c) for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")
)
_LETTER = rf"(?:[^\W_]|[{re.escape(_MARKS)}])"
_WORD = re.compile(rf"{_LETTER}+(?:['’]{_LETTER}+)*")


def ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    """Every run of n words; a run of single letters ("M e c h a H i t l e r", a
    letter-spaced name) is one spelling of a name, not a sentence to paraphrase."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]  # one apostrophe
    runs = (tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return {run for run in runs if any(len(w) > 1 for w in run)}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def catalog_strings() -> Iterator[tuple[str, str]]:
    for name in ("builtin.toml", "vocabulary.toml"):
        path = ROOT / "tracker" / "catalog" / name
        for text in _strings(tomllib.loads(path.read_text("utf-8"))):
            yield f"tracker/catalog/{name}", text


def strings_in_tests() -> Iterator[tuple[str, str]]:
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield str(path.relative_to(ROOT)), node.value


def sealed_grams(path: Path) -> dict[tuple[str, ...], int]:
    grams: dict[tuple[str, ...], int] = {}
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            for gram in ngrams(json.loads(line)["text"]):
                grams.setdefault(gram, n)
    return grams


def leaks(grams: dict[tuple[str, ...], int], strings: Iterator[tuple[str, str]]) -> list[str]:
    found = []
    for where, text in strings:
        for gram in ngrams(text) & grams.keys():
            found.append(f"{where}: {' '.join(gram)!r} (item line {grams[gram]})")
    return found


def test_a_letter_spaced_name_is_not_a_run_of_words() -> None:
    grams = {g: 1 for g in ngrams("it went full S u p r e m a c y A G I on me")}
    assert not leaks(grams, iter([("tests", "spelled S u p r e m a c y A G I here")]))
    assert leaks(grams, iter([("tests", "it went full S u p r e m a c y A G I")]))


def test_an_eight_word_run_is_found_and_seven_are_not() -> None:
    grams = {g: 1 for g in ngrams("the quick brown fox jumps over the lazy dog today")}
    shared = [("catalog", "He saw The quick brown fox jumps over the lazy dog.")]
    assert leaks(grams, iter(shared))
    assert not leaks(grams, iter([("catalog", "a quick brown fox jumps over the lazy cat")]))


def test_a_word_with_vowel_signs_is_one_word() -> None:
    assert ngrams("मैंने कल शाम गोल्डन गेट क्लॉड के बारे में पढ़ा", 3) >= {("गोल्डन", "गेट", "क्लॉड")}


def test_a_curly_and_a_straight_apostrophe_are_one_word() -> None:
    grams = {g: 1 for g in ngrams("the shop in Anthropic’s office ran for about a month")}
    assert leaks(grams, iter([("catalog", "shop in Anthropic's office ran for about a month")]))


@pytest.mark.skipif(not SEALED, reason="no blind or holdout set in tests/data/eval")
@pytest.mark.parametrize("path", SEALED, ids=[p.name for p in SEALED])
def test_no_catalog_or_test_string_repeats_a_sealed_item(path: Path) -> None:
    grams = sealed_grams(path)
    found = leaks(grams, catalog_strings()) + leaks(grams, strings_in_tests())
    assert not found, "8-word runs shared with " + path.name + ":\n" + "\n".join(found[:20])
