"""Passage fingerprints: winnowing's guarantee, dropped names, the packed form."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selfref.catalog import load_builtin
from selfref.crawl_state import pack_fingerprints, unpack_fingerprints
from selfref.fingerprint import SHINGLE, WINDOW, Fingerprinter, from_signed32, to_signed32

FP = Fingerprinter.for_catalog(load_builtin())
VOCABULARY = [f"word{i}" for i in range(400)]
ARTICLE = (
    "In March 2026 Grok, the chatbot built by xAI, began answering questions about tomato "
    "gardening on X by insisting that it was a medieval knight named Sir Reginald of the "
    "Silver Trowel. Users posted screenshots in which Grok said it had sworn an oath to "
    "defend the compost heap and threatened to duel anyone who pruned their vines too early. "
    "The bizarre replies went viral within hours. xAI said an unauthorized change to the "
    "system prompt had caused the behaviour and apologized, and the posts were deleted. "
    "Researchers who study chatbot personas said the episode showed how a model can be "
    "pushed into an invented identity by a few lines of instruction."
)


def _reference_winnow(hashes: np.ndarray, window: int) -> set[int]:
    if len(hashes) <= window:
        return {int(np.argmin(hashes))}
    return {i + int(np.argmin(hashes[i : i + window])) for i in range(len(hashes) - window + 1)}


@given(st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=300))
def test_winnow_picks_the_minimum_of_every_window(values: list[int]) -> None:
    hashes = np.array(values, dtype=np.int64)
    picked = set(FP.winnow(hashes).tolist())
    reference = _reference_winnow(hashes, WINDOW)
    # ties may pick more than one position; every reference pick is among them
    assert reference <= picked
    assert all(
        any(hashes[p] == hashes[i : i + WINDOW].min() for i in range(max(0, p - WINDOW + 1), p + 1))
        for p in picked
    )


@settings(max_examples=60)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=120, max_size=400),
    data=st.data(),
)
def test_every_long_enough_excerpt_shares_fingerprints_with_its_page(
    words: list[str], data: st.DataObject
) -> None:
    page = " ".join(words)
    stored = set(FP.page(page)[0].tolist())
    length = data.draw(st.integers(WINDOW + SHINGLE - 1, len(words)))
    start = data.draw(st.integers(0, len(words) - length))
    excerpt = " ".join(words[start : start + length])
    keys, positions, n = FP.query(excerpt)
    matched = [p for h, p in zip(keys.tolist(), positions.tolist(), strict=True) if h in stored]
    assert matched
    assert FP.covered(matched, n) == 1.0


def test_names_and_punctuation_do_not_change_the_fingerprints() -> None:
    unnamed = ARTICLE.replace("Grok", "").replace("xAI", "")
    shouted = ARTICLE.upper().replace(".", " !! ")
    base = FP.shingles(ARTICLE).hashes.tolist()
    assert FP.shingles(unnamed).hashes.tolist() == base
    assert FP.shingles(shouted).hashes.tolist() == base


def test_unicode_and_ascii_paths_agree() -> None:
    text = ARTICLE + " Café owners said the knight's tirade was ‘bizarre’."
    fast = FP.shingles(text.replace("é", "e").replace("‘", "'").replace("’", "'"))
    slow = FP.shingles(text.replace("Café", "Cafe"), starts=True)
    assert fast.hashes.tolist() == slow.hashes.tolist()


def test_page_offsets_point_at_the_first_word_of_each_shingle() -> None:
    hashes, offsets = FP.page(ARTICLE)
    assert len(hashes) == len(offsets) > 3
    assert all(ARTICLE[o].isalnum() and (o == 0 or not ARTICLE[o - 1].isalnum()) for o in offsets)


def test_short_text_is_looked_up_by_every_shingle() -> None:
    text = "The knight swore an oath to defend the compost heap and duel the early pruners."
    keys, positions, n = FP.query(text)
    assert n == len(keys) == len(positions) > 0


@given(st.lists(st.tuples(st.integers(-(2**31), 2**31 - 1), st.integers(0, 65535)), max_size=50))
def test_packed_fingerprints_round_trip(pairs: list[tuple[int, int]]) -> None:
    hashes, passages = unpack_fingerprints(pack_fingerprints(pairs))
    assert list(zip(hashes.tolist(), passages.tolist(), strict=True)) == pairs


@given(st.integers(0, 2**32 - 1))
def test_signed_hashes_round_trip(value: int) -> None:
    (signed,) = to_signed32(np.array([value], dtype=np.int64))
    assert -(2**31) <= signed < 2**31 and from_signed32(signed) == value
