"""Passage fingerprints: winnowed hashes of content-word shingles that survive lost names.

Text is folded (NFKC, zero-width characters removed, casefolded) and split into words;
stopwords, one-letter words and every word of the catalog's names (agents, aliases,
lineage, personas, vendors, vendor people) are dropped, so "Grok said it was a knight"
and "said it was a knight" give the same content words. Every `SHINGLE` consecutive
content words are hashed to 32 bits, and winnowing keeps the smallest hash of every
`WINDOW` consecutive shingles: about 2 / (WINDOW + 1) of the shingles of a page.

Winnowing's guarantee is what makes excerpts at any boundaries match: a stretch of at
least WINDOW + SHINGLE - 1 content words (about 35 words of prose) that a text shares
with a page contains at least one fingerprint of the page, and every window of a shared
stretch selects the same shingle in both texts. A page stores only its winnowed hashes;
a retrieved text is looked up by its own winnowed hashes (by all of its shingles when
it is short).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from selfref.catalog import Catalog

SHINGLE = 4  # content words per shingle (about eight words of prose)
WINDOW = 16  # shingles per winnowing window
MAX_QUERY = 2000  # lookup keys of one retrieved text, at most (about 30,000 words)

_WORD = re.compile(r"[^\W_]+")
# ASCII fast path: every byte but a-z and 0-9 becomes a space (the same words as _WORD).
_ASCII_SPACES = bytes(c if (0x61 <= c <= 0x7A or 0x30 <= c <= 0x39) else 0x20 for c in range(256))
_ONE_LETTER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_MULT = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)

STOPWORDS = frozenset(
    """
    about above after again against all almost also although am among an and another any are
    around as at be because been before being below between both but by can could did do
    does doing done down during each either else even ever every few for from further had
    has have having he her here hers herself him himself his how however if in into is it
    its itself just least less like made make many may me might more most much must my
    myself neither no nor not now of off often on once one only onto or other others our
    ours ourselves out over own per perhaps quite rather said same says she should since so
    some still such than that the their theirs them themselves then there these they this
    those though through thus to too under until up upon us very was we well were what when
    where whether which while who whom whose why will with within without would yet you your
    yours yourself yourselves
    """.split()  # noqa: SIM905
)


def fold(text: str) -> str:
    """The text as fingerprints read it: NFKC, invisible characters removed, casefolded."""
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()


def name_words(catalog: Catalog) -> frozenset[str]:
    """Every word of every name the catalog knows: dropped before shingling."""
    names: list[str] = []
    for profile in catalog:
        names += [*profile.all_names, profile.vendor, *profile.people]
        names += [term for persona in profile.personas for term in persona.terms]
    return frozenset(w for name in names for w in _WORD.findall(fold(name)))


@dataclass(frozen=True, slots=True)
class Shingles:
    """The shingle hashes of a text, one per position, and where each position starts."""

    hashes: np.ndarray  # int64 holding unsigned 32-bit hashes, one per shingle position
    starts: np.ndarray  # character offset (in the folded text) of each shingle's first word
    words: int  # content words


class Fingerprinter:
    """Shingles, page fingerprints and lookup keys with one fixed set of dropped words."""

    def __init__(
        self, drop: Iterable[str] = (), *, shingle: int = SHINGLE, window: int = WINDOW
    ) -> None:
        if shingle < 1 or window < 1:
            raise ValueError("shingle and window must be at least 1")
        self.drop = STOPWORDS | frozenset(drop)
        self.shingle = shingle
        self.window = window
        self._drop_ascii = frozenset(
            w.encode("ascii") for w in self.drop | _ONE_LETTER if w.isascii()
        )
        self._powers = np.array(
            [pow(int(_MULT), shingle - 1 - i, 1 << 64) for i in range(shingle)], dtype=np.uint64
        )

    @classmethod
    def for_catalog(cls, catalog: Catalog) -> Fingerprinter:
        """Drops the catalog's names, so a passage matches with or without them."""
        return cls(name_words(catalog))

    def shingles(self, text: str, *, starts: bool = False) -> Shingles:
        """Hashes of every run of `shingle` consecutive content words (and, when asked,
        where each run starts in the folded text)."""
        folded = fold(text)
        offsets: list[int] = []
        if not starts and folded.isascii():
            drop_ascii = self._drop_ascii
            raw = folded.encode("ascii").translate(_ASCII_SPACES).split()
            kept = [w for w in raw if w not in drop_ascii]
        else:
            drop = self.drop
            kept = []
            for m in _WORD.finditer(folded):
                word = m.group()
                if len(word) > 1 and word not in drop:
                    kept.append(word.encode("utf-8"))
                    offsets.append(m.start())
        n = len(kept) - self.shingle + 1
        if n < 1:
            empty = np.zeros(0, dtype=np.int64)
            return Shingles(empty, empty, len(kept))
        words = np.fromiter(map(zlib.crc32, kept), dtype=np.uint64, count=len(kept))
        combined = words[:n] * self._powers[0]
        for j in range(1, self.shingle):
            combined += words[j : j + n] * self._powers[j]  # wraps modulo 2**64
        combined ^= combined >> np.uint64(31)
        combined *= _MIX
        combined ^= combined >> np.uint64(29)
        hashes = (combined & np.uint64(0xFFFFFFFF)).astype(np.int64)
        first = np.array(offsets[:n], dtype=np.int64) if starts else np.zeros(0, dtype=np.int64)
        return Shingles(hashes, first, len(kept))

    def winnow(self, hashes: np.ndarray) -> np.ndarray:
        """Positions holding the smallest hash of some window (of the whole text when it is
        shorter than a window)."""
        n, w = len(hashes), self.window
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        if n <= w:
            return np.array([int(np.argmin(hashes))], dtype=np.int64)
        smallest = _sliding(hashes, w, np.minimum)
        # a position is picked when its hash is the minimum of a window holding it, that
        # is, equals the largest of the minima of the windows that hold it
        pad = np.full(w - 1, -1, dtype=np.int64)
        largest = _sliding(np.concatenate([pad, smallest, pad]), w, np.maximum)
        return np.flatnonzero(hashes == largest)

    def page(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A page's fingerprints: (hashes, character offsets in `text` of their first word;
        approximate where folding changed the text's length)."""
        sh = self.shingles(text, starts=True)
        picks = self.winnow(sh.hashes)
        starts = sh.starts[picks]
        folded = len(fold(text))
        if folded != len(text) and folded:
            starts = starts * len(text) // folded
        return sh.hashes[picks], starts

    def query(self, text: str) -> tuple[np.ndarray, np.ndarray, int]:
        """Lookup keys of a retrieved text: (hashes, shingle positions, shingle count).

        Its own winnowed shingles: every window wholly inside a shared stretch picks the
        same shingle in the text as in the page. A short text (two windows or less) is
        looked up by every shingle, so that its ends, which cut through the page's
        windows, count too.
        """
        hashes = self.shingles(text).hashes
        n = len(hashes)
        if n <= 2 * self.window:
            positions = np.arange(n, dtype=np.int64)
        else:
            positions = self.winnow(hashes)[:MAX_QUERY]
        return hashes[positions], positions, n

    def covered(self, positions: Iterable[int], n: int) -> float:
        """Share of a text of `n` shingles covered by matches at these shingle positions.

        Within a shared stretch consecutive fingerprints are at most a window apart, so
        matches closer than that are bridged; each stretch reaches a window beyond its
        outermost matches.
        """
        ordered = sorted(set(positions))
        if n <= 0 or not ordered:
            return 0.0
        reach = self.window - 1
        total, lo, hi = 0, ordered[0] - reach, ordered[0] + reach
        for p in ordered[1:]:
            if p - reach <= hi + 1:
                hi = p + reach
            else:
                total += min(hi, n - 1) - max(lo, 0) + 1
                lo, hi = p - reach, p + reach
        total += min(hi, n - 1) - max(lo, 0) + 1
        return min(1.0, total / n)


def _sliding(values: np.ndarray, width: int, pick: np.ufunc) -> np.ndarray:
    """`pick` (np.minimum or np.maximum) over every window of `width` values, by doubling."""
    span, out = 1, values
    while span * 2 <= width:
        out = pick(out[:-span], out[span:])
        span *= 2
    size = len(values) - width + 1
    result: np.ndarray = pick(out[:size], out[width - span : width - span + size])
    return result


def to_signed32(values: np.ndarray) -> list[int]:
    """Unsigned 32-bit hashes as the signed integers an SQL INTEGER column holds."""
    return signed32(values).tolist()  # type: ignore[no-any-return]


def signed32(values: np.ndarray) -> np.ndarray:
    """`to_signed32` as an int64 array."""
    values = np.asarray(values, dtype=np.int64)
    return np.where(values >= 1 << 31, values - (1 << 32), values)


def from_signed32(value: int) -> int:
    """Inverse of `to_signed32` for one value."""
    return value + (1 << 32) if value < 0 else value
