"""Exact and near-duplicate fingerprints of extracted text (syndicated copies, reprints)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

__all__ = [
    "BANDS",
    "MAX_DISTANCE",
    "content_hash",
    "hamming",
    "simhash",
    "simhash_bands",
]

# A syndicated copy of a 600-word article with its own header, footer and three edited
# words lands 1-8 bits away (3 bits catches only a quarter of them); unrelated texts sit
# near 32. Eight 8-bit bands find every hash within 7 bits by pigeonhole.
MAX_DISTANCE = 7
BANDS = MAX_DISTANCE + 1

_WORD = re.compile(r"\w+")
_SHINGLE = 3


def _normalize(text: str) -> str:
    return " ".join(text.casefold().split())


def content_hash(text: str) -> str:
    """SHA-256 hex of the text with case and whitespace differences removed."""
    return hashlib.sha256(_normalize(text).encode("utf-8")).hexdigest()


def simhash(text: str) -> int:
    """64-bit SimHash over word 3-shingles; 0 for text without words."""
    words = _WORD.findall(text.casefold())
    if not words:
        return 0
    if len(words) < _SHINGLE:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(words[i : i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)]
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8)).reshape(len(shingles), 64)
    ones = bits.sum(axis=0, dtype=np.int64)
    result = 0
    for set_bit in ones * 2 > len(shingles):
        result = (result << 1) | int(set_bit)
    return result


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()


def simhash_bands(h: int, bands: int = BANDS) -> list[int]:
    """Split a SimHash into `bands` keys for an indexed SQL lookup of near-duplicates.

    Two hashes within hamming distance `bands - 1` share at least one key. Each key
    carries its band number in the high bits, so one indexed integer column holds all.
    """
    if bands < 1 or 64 % bands:
        raise ValueError(f"bands must divide 64, got {bands}")
    width = 64 // bands
    mask = (1 << width) - 1
    return [(i << width) | ((h >> (i * width)) & mask) for i in range(bands)]
