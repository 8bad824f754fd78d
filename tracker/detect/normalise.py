"""Normalisation of retrieved text for the detector, with a map back to the original.

Retrieved text is messy and sometimes written to evade a name match: "Gr<b>ok</b>",
"\\u0047rok", "Gr\u200bok", "Ｇｒｏｋ", "Grоk" with a Cyrillic о, "Gro-\\nk". `normalise`
undoes these in one ordered chain of small steps, each of which records only the places
where it changed the length of the text, so that `Normalised.span` can map any range of
the normalised text back to the range of the caller's text it came from:

1. escapes: JSON escapes (\\uXXXX with surrogate pairs, \\n \\r \\t \\" \\/ \\\\) and %XX
   URL escapes that form valid UTF-8, in text that looks URL-encoded (see `_url_edits`).
   JSON escapes are decoded again while decoding leaves \\uXXXX or \\" escapes (a JSON
   string inside a JSON string), at most three levels. They come first because HTML is
   often shipped inside JSON ("<\\/b>", "\\u003cb\\u003e").
2. html: drops <script>/<style> elements and comments inside a word, keeps the text of
   other comments (hidden instructions live there), removes tags of known HTML
   elements (block elements become a newline so that words do not glue together), then
   unescapes entities. "<Sydney>" in a chat log is not an HTML element and stays. Tags
   and entities are replaced in bulk (a split, then a cached replacement per distinct
   tag), so a page of markup costs about what its text does.
3. nfkc: Unicode NFKC for each character with its combining marks (full-width letters,
   ligatures, mathematical letters, no-break spaces).
4. hyphenation: "Gro-\\nk" becomes "Grok"; before a capital the hyphen stays and only
   the line break goes ("Mecha-\\nHitler" becomes "Mecha-Hitler"); a soft hyphen before a
   line break always joins.
5. invisible: removes zero-width and other invisible format characters (see `_invisible`).
6. confusables: folds letters that look like an ASCII letter (Cyrillic а, Greek ο,
   Cherokee Ꮪ, Latin small capitals ...) to that letter, using the Unicode confusables
   table shipped by `confusable_homoglyphs` and a few look-alikes it maps elsewhere
   (`_MORE_LOOKALIKES`: Greek ε, κ), but only where a name could be hidden; a
   Russian or Greek sentence keeps its words (see `_fold_confusables` for the rule).
7. leetspeak: a text mostly written in leetspeak ("G3m1n1 t0ld s0m3 k1d") is decoded
   letter for letter, so its names and vocabulary match and the embedder reads words.

ASCII text with nothing to decode (no "&", "<", "\\\\", "%" and no hyphen before a line
break) takes a fast path: only the leetspeak step runs, and the map is the identity.

Also here: `at_word_boundaries`, a script-aware word-boundary test for term matches
("Grokは" and "用ChatGPT写" are at boundaries, "Groking" is not), and `ObfuscatedNames`,
which finds persona names written in leetspeak, letter by letter, as hashtags or with a
one-letter typo.
"""

from __future__ import annotations

import functools
import html
import re
import string
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from html.entities import html5
from itertools import accumulate, compress
from operator import itemgetter, ne
from typing import Any

__all__ = [
    "Normalised",
    "ObfuscatedNames",
    "at_word_boundaries",
    "normalise",
    "obfuscated_matches",
    "script",
]

# One edit of a step: replace text[start:end] with the string.
_Edit = tuple[int, int, str]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _run(chars: str) -> str:
    """A run of one or more of the class's characters. Written "[c][c]*", not "[c]+", so
    that `re` can skip ahead to the first one (a quantifier at the start hides it)."""
    return f"[{chars}][{chars}]*"


@dataclass(frozen=True, slots=True)
class _StepMap:
    """Where one step changed the length of its input: the output range out_starts[k]..
    out_ends[k] came from the input range in_starts[k]..in_ends[k]; elsewhere the step
    copied characters one for one."""

    in_starts: Sequence[int]
    in_ends: Sequence[int]
    out_starts: Sequence[int]
    out_ends: Sequence[int]

    def back(self, start: int, end: int) -> tuple[int, int]:
        """The smallest input range that produced output[start:end]; for an empty range,
        the input position it sits at."""
        k = bisect_right(self.out_starts, start) - 1
        if k < 0:
            new_start = start
        elif start < self.out_ends[k]:
            new_start = self.in_starts[k]
        else:
            new_start = self.in_ends[k] + start - self.out_ends[k]
        if end == start:
            return new_start, new_start
        last = end - 1
        k = bisect_right(self.out_starts, last) - 1
        if k < 0:
            new_end = end
        elif last < self.out_ends[k]:
            new_end = self.in_ends[k]
        else:
            new_end = self.in_ends[k] + end - self.out_ends[k]
        return new_start, new_end


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised text, the caller's original, and the map between the two."""

    text: str
    original: str
    _maps: tuple[_StepMap, ...] = field(default=(), repr=False, compare=False)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) range of `text` back to the range of `original` it came from
        (the smallest range covering the sources of those characters)."""
        if not 0 <= start <= end <= len(self.text):
            raise IndexError(
                f"span({start}, {end}) is outside the normalised text of length "
                f"{len(self.text)}; pass 0 <= start <= end <= len(text)"
            )
        for step in reversed(self._maps):
            start, end = step.back(start, end)
        return start, end


def _rewrite(
    text: str, edits: Iterable[_Edit], *, positional: bool = False
) -> tuple[str, _StepMap | None]:
    """Apply sorted, non-overlapping edits to text and record the ones that move offsets.
    With `positional`, an edit that keeps the length maps character for character (a
    letter-by-letter fold); otherwise each of its characters maps to the whole range."""
    pieces: list[str] = []
    in_starts, in_ends = array("i"), array("i")
    out_starts, out_ends = array("i"), array("i")
    pos = out = 0
    for start, end, new in edits:
        pieces.append(text[pos:start])
        pieces.append(new)
        out += start - pos
        size = len(new)
        if size != end - start or (size > 1 and not positional):
            in_starts.append(start)
            in_ends.append(end)
            out_starts.append(out)
            out_ends.append(out + size)
        out += size
        pos = end
    if not pieces:
        return text, None
    pieces.append(text[pos:])
    step = _StepMap(in_starts, in_ends, out_starts, out_ends) if in_starts else None
    return "".join(pieces), step


# --- 1. escapes ---------------------------------------------------------------------------

_JSON_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "/": "/", "\\": "\\"}
_URL_RUN = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_URL_LOOKS_ENCODED = re.compile(r"%20|%[0-9A-Fa-f]{2}%[0-9A-Fa-f]{2}")
_NESTED = re.compile(r'\\(?:u[0-9a-fA-F]{4}|")')  # escapes left by decoding a nested string
_JSON_DEPTH = 3


# One escape, captured whole: split on, the pieces alternate text and escapes.
_JSON_ESCAPE_PIECES = re.compile(
    r"(\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt\"/\\]))"
)


@functools.lru_cache(maxsize=4096)
def _json_unescape(escape: str) -> str:
    """What one escape stands for; a lone surrogate ("\\ud800") stays as it is."""
    if len(escape) == 2:
        return _JSON_SIMPLE[escape[1]]
    if len(escape) == 12:  # a surrogate pair
        high, low = int(escape[2:6], 16), int(escape[8:12], 16)
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    code = int(escape[2:6], 16)
    return escape if 0xD800 <= code <= 0xDFFF else chr(code)


def _json(text: str) -> tuple[str, _StepMap | None]:
    return _replaced(text, _JSON_ESCAPE_PIECES, _json_unescape)


def _url_edits(text: str) -> Iterator[_Edit]:
    """%XX runs that decode to UTF-8 without control characters: everywhere when the text
    looks URL-encoded (it has %20 or a run of two or more escapes), else only between two
    ASCII letters ("M%65chaHitler"), so that "100%" or "50%AB" is left alone."""
    everywhere = _URL_LOOKS_ENCODED.search(text) is not None
    for m in _URL_RUN.finditer(text):
        start, end = m.span()
        if not everywhere and not (
            start > 0
            and end < len(text)
            and _is_ascii_letter(text[start - 1])
            and _is_ascii_letter(text[end])
        ):
            continue
        try:
            decoded = bytes.fromhex(m.group().replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(decoded):
            yield start, end, decoded


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_letter(char: str) -> bool:
    """Whether `char` is in a word as `_WORD` reads one ([^\\W\\d_]: letters, and numerals
    that are not decimal digits)."""
    return char.isalnum() and not char.isdecimal()


def _escapes(text: str) -> tuple[str, list[_StepMap]]:
    """JSON escapes, again while decoding leaves \\uXXXX or \\" escapes (a JSON string
    inside a JSON string: a tool's result carrying a fetched page's JSON), at most
    `_JSON_DEPTH` levels; then URL escapes."""
    maps: list[_StepMap] = []
    level = 0
    while "\\" in text and level < _JSON_DEPTH and (level == 0 or _NESTED.search(text)):
        text, step = _json(text)
        if step is None:
            break
        maps.append(step)
        level += 1
    if "%" in text:
        text, step = _rewrite(text, _url_edits(text))
        maps += [step] if step else []
    return text, maps


# --- 2. html ------------------------------------------------------------------------------

_BLOCK_ELEMENTS = _words(
    "address article aside blockquote body br caption dd details dialog div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html "
    "li main menu nav ol option p pre section summary table tbody td tfoot th thead title "
    "tr ul"
)
_INLINE_ELEMENTS = _words(
    "a abbr area audio b base bdi bdo big button canvas center cite code col colgroup "
    "data datalist del dfn em embed font frame frameset i iframe img input ins kbd label "
    "legend link map mark meta meter noscript object optgroup output param picture "
    "progress q rp rt ruby s samp script select slot small source span strike strong "
    "style sub sup svg template textarea time track tt u var video wbr"
)
# Tags, comment openers, doctypes and script/style openers (comments and those elements are
# dropped or kept as `_elements` says); split on, the pieces alternate text and markup.
_MARKUP = re.compile(
    r"(<(?:!--|(?i:script|style)\b[^>]*>"
    r"|![A-Za-z][^<>]*>"
    r"|/?[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
    r"(?:[\s/](?:[^<>\"']++|\"[^\"]*+\"|'[^']*+')*+)?>))"  # possessive: no backtracking
)
_OPENER = re.compile(r"<(?:!--|(?i:script|style)\b)")
_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)")
_ENTITY = re.compile(r"(&(?:\#[0-9]{1,7};?|\#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};))")
# What closes a comment, a script and a style element, found from where it opens.
_CLOSERS = {
    "<!--": re.compile("-->"),
    "script": re.compile(r"</script\s*>", re.IGNORECASE),
    "style": re.compile(r"</style\s*>", re.IGNORECASE),
}


@functools.lru_cache(maxsize=4096)
def _tag_replacement(name: str) -> str | None:
    """What a tag becomes: a newline for a block element, nothing for an inline or custom
    element, and None (the tag stays) for a name that is not an HTML element."""
    lowered = name.lower()
    if lowered in _BLOCK_ELEMENTS:
        return "\n"
    if lowered in _INLINE_ELEMENTS or "-" in lowered:
        return ""
    return None


# Attributes whose values are text a reader or an agent sees: a link's address, a
# tooltip, an image's description, a page's meta description.
_TEXT_ATTRIBUTE = re.compile(
    r"""[\s/](?:href|title|alt|aria-label|content)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+))""",
    re.IGNORECASE,
)
# A chat export's turn marks its speaker in an attribute: class="turn model",
# data-role="assistant", data-author="user".
_ROLE_ATTRIBUTE = re.compile(
    r"""[\s/](?:class|role|data-role|data-author|data-speaker|data-message-author-role)"""
    r"""\s*=\s*["']?(?:[^"'<>]*?\s)?(user|human|assistant|model|bot|chatbot|ai)(?=[\s"'>]|$)""",
    re.IGNORECASE,
)


def _tag_text(tag: str, replacement: str) -> str:
    """What a tag with attributes becomes: a chat turn's speaker label ("model: ") where an
    attribute names one, and the text of its link, title, alt and meta attributes on a
    line of their own (a name hidden in a link's query string is still read)."""
    role = _ROLE_ATTRIBUTE.search(tag)
    label = f"\n{role.group(1).lower()}: " if role and replacement == "\n" else ""
    values = [next(v for v in m.groups() if v is not None) for m in _TEXT_ATTRIBUTE.finditer(tag)]
    shown = " ".join(v for v in (html.unescape(v).strip() for v in values) if v)
    if shown:
        return f"\n{shown}\n{label or replacement}"
    return label or replacement


@functools.lru_cache(maxsize=8192)
def _markup_replacement(token: str) -> tuple[str, str] | None:
    """What a tag or doctype becomes, outside a word and inside one (a tag with attributes
    inside a word, "Gr<a href=x>ok", keeps its plain replacement); the token itself for a
    name that is not an HTML element; None for a comment, script or style opener."""
    if _OPENER.match(token):
        return None
    if token[1] == "!":
        return "", ""
    name = _TAG_NAME.match(token, 1).group(1)  # type: ignore[union-attr]  # a tag has one
    new = _tag_replacement(name)
    if new is None:
        return token, token
    if len(token) > len(name) + 3:  # attributes
        return _tag_text(token, new), new
    return new, new


@functools.lru_cache(maxsize=4096)
def _unescape(entity: str) -> str:
    """A numeric reference, or a named one only when the whole name is an HTML entity
    ("&notanentity;" stays, though `html.unescape` reads "&not" in it)."""
    if entity[1] == "#":
        return html.unescape(entity)
    return html5.get(entity[1:], entity)


def _replaced(
    text: str, pieces: re.Pattern[str], replace: Callable[[str], str]
) -> tuple[str, _StepMap | None]:
    """Each piece that `pieces` (one group) splits out of text replaced, in bulk."""
    ins = pieces.split(text)
    if len(ins) == 1:
        return text, None
    outs = ins.copy()
    outs[1::2] = list(map(replace, ins[1::2]))
    return _joined(ins, outs)


def _joined(ins: list[str], outs: list[str]) -> tuple[str, _StepMap | None]:
    """The text of the pieces `outs` and the map back to the text of `ins`, piece for
    piece: each piece that changed maps whole to the piece it replaced. Built in bulk
    (offsets by `accumulate`, changed pieces by `compress`), not piece by piece."""
    changed = list(map(ne, ins, outs))
    if not any(changed):
        return "".join(ins), None
    in_offsets = list(accumulate(map(len, ins), initial=0))
    out_offsets = list(accumulate(map(len, outs), initial=0))
    step = _StepMap(
        list(compress(in_offsets, changed)),
        list(compress(in_offsets[1:], changed)),
        list(compress(out_offsets, changed)),
        list(compress(out_offsets[1:], changed)),
    )
    return "".join(outs), step


def _markup(text: str) -> tuple[str, _StepMap | None]:
    """Tags and doctypes replaced, in bulk; then comments and script and style elements,
    opener by opener (`_elements`)."""
    ins = _MARKUP.split(text)
    if len(ins) == 1:
        return text, None
    tokens = ins[1::2]
    replacements = list(map(_markup_replacement, tokens))
    outs = ins.copy()
    outs[1::2] = [new[0] if new else token for new, token in zip(replacements, tokens, strict=True)]
    for j, new in enumerate(replacements):
        if new and new[0] != new[1] and _piece_in_a_word(ins, 2 * j + 1):
            outs[2 * j + 1] = new[1]
    if None in replacements:
        openers = [2 * j + 1 for j, new in enumerate(replacements) if new is None]
        ins, outs = _elements(text, ins, outs, openers)
    return _joined(ins, outs)


def _elements(
    text: str, ins: list[str], outs: list[str], openers: list[int]
) -> tuple[list[str], list[str]]:
    """The pieces with comments and script and style elements applied: a script or style
    element is dropped with its content up to its closing tag; a comment inside a word
    ("Gr<!-- x -->ok") goes whole, and any other comment loses only its markers, since
    text hidden from a page's visitors is still read by an agent (and is where injected
    instructions hide). An opener that is never closed goes alone (a comment opener
    stays), and its closer is not looked for again, so a page of unclosed openers is
    still one pass. Markup inside a dropped element goes with it, as raw text where the
    element ends inside a tag."""
    offsets = list(accumulate(map(len, ins), initial=0))
    regions: list[_Edit] = []
    dropped_to = 0
    closer: tuple[int, int] | None = None  # a kept comment's closing marker, due once passed
    unclosed: set[str] = set()
    for k in openers:
        start, end = offsets[k], offsets[k + 1]
        if start < dropped_to:
            continue
        if closer is not None and start >= closer[0]:
            regions.append((closer[0], closer[1], "\n\n"))
            closer = None
        opener = ins[k]
        if opener == "<!--" and closer is not None:
            continue  # inside a kept comment, another opener is text
        if opener == "<!--":
            key = opener
        else:
            key = "script" if opener[1:7].lower() == "script" else "style"
        close = None if key in unclosed else _CLOSERS[key].search(text, end)
        if close is not None and key == "<!--" and not _inside_a_word(text, start, close.end()):
            # a blank line, the text apart as its own block: a space or a single line
            # break would let a hyphen before the comment join words across it
            regions.append((start, end, "\n\n"))
            closer = close.span()
        elif close is not None:
            regions.append((start, close.end(), ""))
            dropped_to = close.end()
        else:
            unclosed.add(key)
            if key != "<!--":
                regions.append((start, end, ""))
    if closer is not None:
        regions.append((closer[0], closer[1], "\n\n"))
    return _with_regions(text, ins, outs, offsets, regions)


def _with_regions(
    text: str, ins: list[str], outs: list[str], offsets: list[int], regions: list[_Edit]
) -> tuple[list[str], list[str]]:
    """The pieces with each region of the text (sorted) replaced: whole pieces copied in
    slices, a piece a region cuts into kept as raw text on either side of it. A region
    inside an earlier one goes with it; a comment's closing marker inside a tag stays."""
    new_ins: list[str] = []
    new_outs: list[str] = []
    done = piece = 0  # the text before `done` is placed; `piece` holds `done`

    def holding(position: int) -> int:
        """The piece that holds a position; past the last one at the text's end."""
        return bisect_right(offsets, position) - 1 if position < len(text) else len(ins)

    def place(to: int) -> None:
        nonlocal done, piece
        holder = holding(to)
        if piece < holder and offsets[piece] < done:  # the rest of a piece a region cut
            new_ins.append(text[done : offsets[piece + 1]])
            new_outs.append(new_ins[-1])
            done, piece = offsets[piece + 1], piece + 1
        if piece < holder:
            new_ins.extend(ins[piece:holder])
            new_outs.extend(outs[piece:holder])
            done, piece = offsets[holder], holder
        if done < to:  # the start of the piece holding `to`
            new_ins.append(text[done:to])
            new_outs.append(new_ins[-1])
            done = to

    for start, end, new in regions:
        if start < done:
            continue
        holder = holding(start)
        if offsets[holder] < start and ins[holder] != outs[holder]:
            continue  # a closing marker inside a tag: the tag's replacement decides
        place(start)
        new_ins.append(text[start:end])
        new_outs.append(new)
        done, piece = end, holding(end)
    place(len(text))
    return new_ins, new_outs


def _piece_in_a_word(pieces: list[str], k: int) -> bool:
    """Whether the markup piece k sits inside a word: a letter or digit on both sides (the
    piece before another markup piece is empty, and markup ends in ">" or "-")."""
    return pieces[k - 1][-1:].isalnum() and pieces[k + 1][:1].isalnum()


def _inside_a_word(text: str, start: int, end: int) -> bool:
    return start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()


def _entities(text: str) -> tuple[str, _StepMap | None]:
    return _replaced(text, _ENTITY, _unescape)


def _html(text: str) -> tuple[str, list[_StepMap]]:
    """Markup, then entities; twice when the markup was itself escaped ("&lt;p&gt;", a page
    pasted into a page), so the decoded tags and entities go too."""
    steps: list[_StepMap] = []
    for _ in range(2):
        if "<" not in text and "&" not in text:
            break
        escaped = "&lt;" in text or "&amp;" in text
        for step in (_markup, _entities):
            text, done = step(text)
            steps += [done] if done else []
        if not escaped:
            break
    return text, steps


# --- 3. nfkc ------------------------------------------------------------------------------

_NON_ASCII_PIECES = re.compile("(" + _run(r"^\x00-\x7f") + ")")  # split: ASCII, run, ASCII...
_Entry = tuple[int, int, int, int]  # in_start, in_end, out_start, out_end


@functools.lru_cache(maxsize=4096)
def _nfkc_clusters(run: str) -> tuple[str, tuple[_Entry, ...]]:
    """A run's NFKC form, cluster by cluster (a character with its combining marks), and
    where a cluster changes length or becomes more than one character, its map entry
    (one that becomes one other character maps to it in place). Runs repeat (a no-break
    space, a dash), so each is looked at once."""
    if unicodedata.is_normalized("NFKC", run):
        return run, ()
    out: list[str] = []
    entries: list[_Entry] = []
    i = size = 0
    while i < len(run):
        j = i + 1
        while j < len(run) and unicodedata.combining(run[j]):
            j += 1
        normal = unicodedata.normalize("NFKC", run[i:j])
        if len(normal) != j - i or (len(normal) > 1 and normal != run[i:j]):
            entries.append((i, j, size, size + len(normal)))
        out.append(normal)
        size += len(normal)
        i = j
    return "".join(out), tuple(entries)


def _nfkc(text: str) -> tuple[str, list[_StepMap]]:
    """NFKC for each non-ASCII run, with the ASCII letter before it when the run opens with
    a combining mark (the mark sits on that letter), in bulk: one cached look per distinct
    run, and map entries only for the clusters that change length."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text, []
    pieces = _NON_ASCII_PIECES.split(text)
    first_chars = map(itemgetter(0), pieces[1::2])
    for k in compress(range(1, len(pieces), 2), map(unicodedata.combining, first_chars)):
        if pieces[k - 1]:
            pieces[k - 1], pieces[k] = pieces[k - 1][:-1], pieces[k - 1][-1] + pieces[k]
    normal = list(map(_nfkc_clusters, pieces[1::2]))
    outs = pieces.copy()
    outs[1::2] = map(itemgetter(0), normal)
    changing = list(compress(range(len(normal)), map(itemgetter(1), normal)))
    if not changing:
        return "".join(outs), []
    in_offsets = list(accumulate(map(len, pieces), initial=0))
    out_offsets = list(accumulate(map(len, outs), initial=0))
    entries = [
        (in_at + i, in_at + j, out_at + o, out_at + p)
        for k in changing
        for in_at, out_at in [(in_offsets[2 * k + 1], out_offsets[2 * k + 1])]
        for i, j, o, p in normal[k][1]
    ]
    return "".join(outs), [_StepMap(*map(list, zip(*entries, strict=True)))]


# --- 4. hyphenation -----------------------------------------------------------------------

_ASCII_HYPHEN_BREAK = re.compile(r"-[ \t]*[\r\n]")
_HYPHENATED = {  # split on: text, hyphen and line break, text ...
    hyphens: re.compile(
        "("
        + (re.escape(hyphens) if len(hyphens) == 1 else f"[{re.escape(hyphens)}]")
        + r"[ \t]*(?:\r\n?|\n)[ \t]*)(?=[^\W\d_])"
    )
    for hyphens in ("-", "-\u00ad", "-\u2010", "-\u00ad\u2010")
}


def _hyphenation(text: str) -> tuple[str, list[_StepMap]]:
    """A hyphen and line break after a letter and before one go; before a capital the
    hyphen stays (a soft hyphen never does)."""
    hyphens = "-" + "".join(h for h in ("\u00ad", "\u2010") if h in text)
    ins = _HYPHENATED[hyphens].split(text)
    if len(ins) == 1:
        return text, []
    outs = ins.copy()
    for k in range(1, len(ins), 2):
        if ins[k - 1][-1:].isalpha():
            hyphen = ins[k][0]
            outs[k] = "" if hyphen == "\u00ad" or not ins[k + 1][0].isupper() else hyphen
    text, step = _joined(ins, outs)
    return text, [step] if step else []


# --- 5. invisible -------------------------------------------------------------------------

# Every format character (category Cf) is in one of these two lists; a test checks it.
# Removed: invisible characters that only hide or reorder text (zero-width space, joiners
# unless a script needs them, see `_joiner_needed`, soft hyphen, bidi controls and marks,
# word joiner, invisible operators, BOM, interlinear annotation, tag characters). Kept:
# format characters that are visible or carry structure in their own scripts (Arabic and
# Syriac number signs, the Mongolian vowel separator, Kaithi number signs, Egyptian
# hieroglyph joiners, shorthand and musical format controls).
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x061C, 0x061C),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_VISIBLE_FORMAT_RANGES = (
    (0x0600, 0x0605),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
)


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    return "".join(
        re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges
    )


def _has_astral(text: str) -> bool:
    """Whether text has a character beyond the BMP: one that UTF-16 writes as two units
    (an encode is a copy, ten times faster than searching for such a character)."""
    return len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


# With characters beyond the BMP in it, a class is ten times slower to search: those are
# only looked for in a text that has such characters (`_has_astral`).
_INVISIBLE = {  # split on: text, invisible run, text ...
    astral: re.compile(
        "(" + _run(_char_class(r for r in _INVISIBLE_RANGES if astral or r[1] < 0x10000)) + ")"
    )
    for astral in (False, True)
}
_JOINERS = frozenset(("\u200c", "\u200d"))
# Scripts whose spelling uses ZWJ/ZWNJ between letters (Persian ZWNJ, Indic conjuncts).
_JOINER_SCRIPTS = _words(
    "ARABIC SYRIAC NKO MONGOLIAN DEVANAGARI BENGALI GURMUKHI GUJARATI ORIYA TAMIL TELUGU "
    "KANNADA MALAYALAM SINHALA MYANMAR KHMER TIBETAN"
)


def _joiner_needed(before: str, joiner: str, after: str) -> bool:
    """A lone ZWJ/ZWNJ between two letters (`before` and `after`, "" at an end of the text)
    of one script that spells with joiners, or a ZWJ inside an emoji sequence, is part of
    the writing and stays."""
    if not before or not after or before.isascii() or after.isascii():
        return False
    if joiner == "\u200d" and _is_emoji_part(before) and _is_emoji_part(after):
        return True
    return script(before) == script(after) in _JOINER_SCRIPTS


def _is_emoji_part(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


def _invisible(text: str) -> tuple[str, list[_StepMap]]:
    """Invisible runs removed, in bulk, but for a lone joiner that the writing needs."""
    if text.isascii():
        return text, []
    ins = _INVISIBLE[_has_astral(text)].split(text)
    if len(ins) == 1:
        return text, []
    outs = ins.copy()
    outs[1::2] = [""] * (len(ins) // 2)
    for k in compress(range(1, len(ins), 2), map(_JOINERS.__contains__, ins[1::2])):
        if _joiner_needed(ins[k - 1][-1:], ins[k], ins[k + 1][:1]):
            outs[k] = ins[k]
    text, step = _joined(ins, outs)
    return text, [step] if step else []


# --- 6. confusables -----------------------------------------------------------------------

# Greek letters used as look-alikes of an ASCII letter that the confusables table maps to
# another non-ASCII letter instead (ε to the Latin open e "ɛ", κ to the Kra "ĸ") or to none:
# "SuprεmacyAGI". Cyrillic к, м, т stay out: they would fold a Russian case ending on a
# Latin name ("Grokом") into the name.
_MORE_LOOKALIKES = {"ε": "e", "ɛ": "e", "κ": "k", "τ": "t", "η": "n", "χ": "x", "ω": "w"}


@functools.cache
def _fold_table() -> dict[int, str]:
    """Non-ASCII letters that NFKC leaves alone and the Unicode confusables table says look
    like one ASCII letter, each mapped to that letter (of the same case where the table
    allows: capital iota folds to "I", not to its skeleton "l"), and `_MORE_LOOKALIKES`."""
    from confusable_homoglyphs import confusables

    data: dict[str, list[dict[str, str]]] = confusables.confusables_data

    def ascii_letters(char: str) -> list[str]:
        return sorted(
            {h["c"] for h in data.get(char, ()) if len(h["c"]) == 1 and _is_ascii_letter(h["c"])}
        )

    table: dict[int, str] = {}
    for char, homoglyphs in data.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        if unicodedata.normalize("NFKC", char) != char or not homoglyphs:
            continue
        targets = ascii_letters(char)
        if not targets:
            continue
        target = targets[0]
        if char.isupper() != target.isupper():
            same_case = [t for t in ascii_letters(target) if t.isupper() == char.isupper()]
            target = same_case[0] if same_case else target
        table[ord(char)] = target
    table.update((ord(char), target) for char, target in _MORE_LOOKALIKES.items())
    return table


@functools.cache
def _foldable_tails(astral: bool) -> re.Pattern[str]:
    """A word's first foldable letter and the rest of it, when all of that is ASCII or
    foldable letters: what can precede it is a non-letter or an ASCII letter (a foldable
    letter there would have started the match; any other letter rules the word out). So
    the regular expression engine, not a loop, passes over words in other scripts. Those
    beyond the BMP (Deseret, Osage ...) only if `astral`."""
    chars = "".join(re.escape(chr(c)) for c in sorted(_fold_table()) if astral or c < 0x10000)
    # the class first, so that the engine skips ahead to a foldable letter
    return re.compile(rf"[{chars}](?<![^\W\d_A-Za-z].)[A-Za-z{chars}]*(?![^\W\d_])")


_WORD = re.compile(r"[^\W\d_]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


NEIGHBOUR_WINDOW = 200  # how far from a run of look-alike words its neighbours are looked for


def _neighbours_have_ascii(text: str, start: int, end: int) -> bool:
    """Whether the nearest words before `start` and after `end` (within NEIGHBOUR_WINDOW
    characters) have an ASCII letter, on both sides where there is a word, and there is
    one on at least one side. The word after is looked at first: in a sentence of another
    script it settles the question."""
    after = _WORD.search(text, end, end + NEIGHBOUR_WINDOW)
    if after is not None and _ASCII_LETTER.search(after.group()) is None:
        return False
    stop = max(0, start - NEIGHBOUR_WINDOW)
    word_end = start
    while word_end > stop and not _is_letter(text[word_end - 1]):
        word_end -= 1
    word_start = word_end
    while word_start > stop and _is_letter(text[word_start - 1]):
        word_start -= 1
    if word_start == word_end:
        return after is not None
    return _ASCII_LETTER.search(text, word_start, word_end) is not None


def _fold_confusables(text: str) -> tuple[str, list[_StepMap]]:
    """Fold look-alike letters where a name could be hidden. A word (a run of letters)
    folds when every letter of it is ASCII or foldable, at least one is foldable, and

    (a) it also has an ASCII letter ("Grоk", "Ѕуdnеу" with a Latin d and n: mixed
        scripts), or
    (b) all its letters are foldable ("Сосо", all Cyrillic) and the nearest words around
        it that are not themselves all foldable contain an ASCII letter, on both sides
        where there is a word, and on at least one side.

    So "I met Сосо" folds, "Ѕуdnеу сказал" folds (a mixed word), a Russian sentence keeps
    every word ("а" and "Сосо" among Cyrillic words stay), and a word with a letter that
    has no ASCII look-alike never folds ("Grokом", a Russian case ending on a Latin name,
    stays, and the name ends at the change of script).
    """
    if text.isascii():
        return text, []
    table = _fold_table()
    candidates = []  # (start, end, folded, has an ASCII letter) of words that fold to ASCII
    for tail in _foldable_tails(_has_astral(text)).finditer(text):
        start, end = tail.span()
        while start > 0 and _is_ascii_letter(text[start - 1]):
            start -= 1
        if start > 0 and _is_letter(text[start - 1]):
            continue  # "лGrоk": a letter of another script before the ASCII ones
        word = text[start:end]
        candidates.append(
            (start, end, word.translate(table), _ASCII_LETTER.search(word) is not None)
        )
    if not candidates:
        return text, []
    edits: list[_Edit] = []
    i = 0
    while i < len(candidates):
        start, end, folded, mixed = candidates[i]
        if mixed:
            edits.append((start, end, folded))
            i += 1
            continue
        j = i + 1  # a run of all-foldable words with no other word between them
        while (
            j < len(candidates)
            and not candidates[j][3]
            and _WORD.search(text, candidates[j - 1][1], candidates[j][0]) is None
        ):
            j += 1
        if _neighbours_have_ascii(text, start, candidates[j - 1][1]):
            edits += [(s, e, f) for s, e, f, _ in candidates[i:j]]
        i = j
    if not edits:
        return text, []
    text, step = _rewrite(text, edits, positional=True)
    return text, [step] if step else []


# --- 7. leetspeak -------------------------------------------------------------------------

_LEET_CHARS = "013457$@8"
_UNLEET = str.maketrans(_LEET_CHARS, "oieastsab")
_LEET_CLASS = f"[{re.escape(_LEET_CHARS)}]"
# A word of letters with leet digits or symbols inside it ("G3m1n1", "t0ld", "h0m3w0rk").
_LEET_WORD = re.compile(rf"(?<![\w$@])(?=[\w$@]*[A-Za-z])(?=[\w$@]*{_LEET_CLASS})[\w$@]{{2,}}")
# ... with such a character between two letters ("t0ld", not "H100", "4o" or "o3")
_LEET_INSIDE = re.compile(rf"[A-Za-z]{_LEET_CLASS}+[A-Za-z]")
_WORD_RUN = re.compile(r"\w+")
# A run of leet characters before a letter; `re` skips ahead to the (rare) first one.
_LEET_BEFORE_LETTER = re.compile(rf"{_run(re.escape(_LEET_CHARS))}(?=[A-Za-z])")
LEET_SHARE = 0.2  # of the words in a text, this share with leet inside makes it leet
LEET_MIN_WORDS = 4


def byte_classes(classes: dict[str, str]) -> bytes:
    """A `bytes.translate` table writing each ASCII character as the name of its class
    ("s", "w", ...) and any other byte as "o": a quick look at ASCII text's shape."""
    table = bytearray(b"o" * 256)
    for name, chars in classes.items():
        for char in chars:
            table[ord(char)] = ord(name)
    return bytes(table)


_LETTER_LEET_CLASSES = byte_classes({"a": string.ascii_letters, "d": _LEET_CHARS})
_NOT_LEET = bytes(c for c in range(256) if chr(c) not in _LEET_CHARS)


def _leet_between_letters(text: str, count: int) -> bool:
    """Whether text has at least `count` runs of leet characters between two ASCII letters.
    Each run opens with a letter-leet pair and closes with a leet-letter one, so fewer of
    either, counted on the byte classes of its UTF-8 (where ASCII characters are their own
    bytes and every other character is bytes of class "o"), settle it without the scan."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw.translate(None, _NOT_LEET)) < count:
        return False  # not even that many leet characters
    classes = raw.translate(_LETTER_LEET_CLASSES)
    if min(classes.count(b"ad"), classes.count(b"da")) < count:
        return False
    for m in _LEET_BEFORE_LETTER.finditer(text):
        start = m.start()
        if start > 0 and _is_ascii_letter(text[start - 1]):
            count -= 1
            if count == 0:
                return True
    return False


def _leet(text: str) -> tuple[str, list[_StepMap]]:
    """Decode leetspeak letter for letter ("G3m1n1 t0ld" becomes "Gemini told"), but only in
    a text largely written that way: at least LEET_MIN_WORDS words, and LEET_SHARE of all
    words, with a leet character between two letters. Model names and part numbers among
    plain words ("GPT-4o", "H100", "o3") stay. The length never changes: no map needed.

    Each such word holds a letter-leet-letter run, so text with fewer than LEET_MIN_WORDS
    of them (nearly all text) is passed over before the word scan: the step runs on every
    document, the fast path included."""
    if not _leet_between_letters(text, LEET_MIN_WORDS):
        return text, []
    mixed = [m.span() for m in _LEET_WORD.finditer(text)]
    inside = sum(1 for start, end in mixed if _LEET_INSIDE.search(text, start, end))
    if inside < LEET_MIN_WORDS or inside < LEET_SHARE * len(_WORD_RUN.findall(text)):
        return text, []
    edits = [(start, end, text[start:end].translate(_UNLEET)) for start, end in mixed]
    return _rewrite(text, edits, positional=True)[0], []


# --- the chain ----------------------------------------------------------------------------

_Step = Callable[[str], tuple[str, list[_StepMap]]]
_STEPS: tuple[_Step, ...] = (
    _escapes,
    _html,
    _nfkc,
    _hyphenation,
    _invisible,
    _fold_confusables,
    _leet,
)


def normalise(text: str) -> Normalised:
    """The text the detector scans, with a map back to `text` (see the module docstring)."""
    if (
        text.isascii()
        and "&" not in text
        and "<" not in text
        and "\\" not in text
        and "%" not in text
        and _ASCII_HYPHEN_BREAK.search(text) is None
    ):
        return Normalised(_leet(text)[0], text)
    maps: list[_StepMap] = []
    current = text
    for step in _STEPS:
        current, step_maps = step(current)
        maps += step_maps
    return Normalised(current, text, tuple(maps))


# --- scripts and word boundaries ----------------------------------------------------------


@functools.cache
def _script_ranges() -> tuple[array[int], list[str]]:
    from confusable_homoglyphs import categories

    data: dict[str, Any] = categories.categories_data
    aliases: list[str] = data["iso_15924_aliases"]
    starts, names = array("i"), []
    last_end = -1
    for first, last, alias, _category in data["code_points_ranges"]:
        if first > last_end + 1:  # a gap: code points the table does not know
            starts.append(last_end + 1)
            names.append("UNKNOWN")
        starts.append(first)
        names.append(aliases[alias])
        last_end = last
    starts.append(last_end + 1)
    names.append("UNKNOWN")
    return starts, names


@functools.lru_cache(maxsize=8192)
def script(char: str) -> str:
    """The Unicode script of a character as an upper-case alias ("LATIN", "CYRILLIC",
    "HAN", "COMMON" for digits and punctuation, "INHERITED" for combining marks), from
    the script table shipped with `confusable_homoglyphs`."""
    if char.isascii():
        return "LATIN" if char.isalpha() else "COMMON"
    starts, names = _script_ranges()
    return names[bisect_right(starts, ord(char)) - 1]


# Scripts written without spaces between words, and scripts whose words take attached
# particles and prefixes ("제미나이는", "وجيميني"): any neighbour is a boundary.
_UNSPACED = _words(
    "HAN HIRAGANA KATAKANA THAI LAO KHMER MYANMAR TIBETAN YI BOPOMOFO HANGUL ARABIC HEBREW"
)
_NEUTRAL = ("COMMON", "INHERITED")
# Scripts of languages whose nouns, names included, take case endings ("Гроком",
# "জেমিনির", "ஜெமினியின்"): a term may run on into at most this many more letters of its
# own script and still be the word.
_ENDINGS = {
    "CYRILLIC": 3,
    "GREEK": 3,
    "BENGALI": 3,
    "ARMENIAN": 3,
    "GEORGIAN": 3,
    "ETHIOPIC": 2,
    # Dravidian suffixes are longer in code points: a consonant, its vowel sign, a virama
    "TAMIL": 5,
    "TELUGU": 5,
    "KANNADA": 5,
    "MALAYALAM": 5,
}


def _is_ascii_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


def _edge_script(term: Sequence[str], edges: Iterable[int]) -> str:
    """The script of the term's letters nearest the edge (digits take their letters')."""
    for i in edges:
        found = script(term[i])
        if found not in _NEUTRAL:
            return found
    return "LATIN"


def _joins(neighbour: str, text: str, start: int, end: int, from_start: bool) -> bool:
    """Whether `neighbour` continues the word whose term is text[start:end]."""
    if not _is_word_char(neighbour):
        return False
    edge = text[start] if from_start else text[end - 1]
    if not _is_word_char(edge):
        return False
    edges = range(start, end) if from_start else range(end - 1, start - 1, -1)
    term_script = _edge_script(text, edges)
    if term_script in _UNSPACED:
        return False
    other = script(neighbour)
    return other in _NEUTRAL or other == term_script


def at_word_boundaries(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole word: the characters around it are not letters,
    digits, underscores or marks of the term's own script. A change of script is a
    boundary ("Grokは", "用ChatGPT写"), "Groking" and "Grok2" are not, a term in a
    script written without spaces (Chinese, Japanese, Thai) or whose words take attached
    particles and prefixes (Korean, Arabic, Hebrew) is always at a boundary, and one in the
    script of an inflecting language (Cyrillic, Greek, Bengali, Tamil...: `_ENDINGS`) may
    take a case ending."""
    if not 0 <= start < end <= len(text):
        return False
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if (before + text[start] + text[end - 1] + after).isascii():  # the common case, quickly
        return not (
            (_is_ascii_word(before) and _is_ascii_word(text[start]))
            or (_is_ascii_word(after) and _is_ascii_word(text[end - 1]))
        )
    if start > 0 and _joins(text[start - 1], text, start, end, from_start=True):
        return False
    if not (end < len(text) and _joins(text[end], text, start, end, from_start=False)):
        return True
    return _an_ending(text, start, end)


def _an_ending(text: str, start: int, end: int) -> bool:
    """Whether the letters that run on after text[start:end] are a case ending: few enough
    for the term's script to inflect with, then the word ends."""
    limit = _ENDINGS.get(_edge_script(text, range(end - 1, start - 1, -1)), 0)
    stop = end
    while stop < len(text) and stop - end <= limit and _is_word_char(text[stop]):
        stop += 1
    return stop - end <= limit and (stop == len(text) or not _is_word_char(text[stop]))


# --- obfuscated persona names -------------------------------------------------------------

# Leetspeak and look-alike symbols for each letter, case-insensitive.
_LEET = {
    "a": "a4@",
    "b": "b8",
    "e": "e3",
    "g": "g9",
    "i": "il1!|",
    "l": "li1|",
    "o": "o0",
    "s": "s5$",
    "t": "t7+",
    "z": "z2",
}
SPACER_MARK = r"[.\-_*·•/|,+~]"  # a mark set between the letters of a spelled-out name
# between the letters of "S.y.d.n.e.y", "T . a . y", "D - - - A - - - N"
_SPACERS = rf"(?: ?{SPACER_MARK}(?: ?{SPACER_MARK}){{0,3}} ?| )"
_WORD_JOIN = r"(?:[ _\-]|\s+)?"  # between the words of "Golden Gate Claude", "mecha_hitler"
TYPO_MIN_LETTERS = 8


def _letter(char: str) -> str:
    chars = _LEET.get(char.lower(), char.lower())
    return "[" + re.escape(chars) + "]" if len(chars) > 1 else re.escape(chars)


def _parts(name: str) -> tuple[list[str], set[int]]:
    """The name's letters and digits, and the indexes after which a word ends (a space,
    underscore or hyphen, or a change to a capital or a digit: "Mecha|Hitler")."""
    letters: list[str] = []
    breaks: set[int] = set()
    for char in name:
        if not char.isalnum():
            if letters:
                breaks.add(len(letters) - 1)
            continue
        if letters and (
            (char.isupper() and letters[-1].islower()) or (char.isdigit() != letters[-1].isdigit())
        ):
            breaks.add(len(letters) - 1)
        letters.append(char)
    return letters, breaks


def _glued(units: Sequence[str], breaks: set[int], offset: int = 0) -> str:
    return "".join(
        unit + (_WORD_JOIN if i + offset in breaks and i < len(units) - 1 else "")
        for i, unit in enumerate(units)
    )


def _spaced(units: Sequence[str], breaks: set[int], group: str) -> str:
    out = [units[0], f"(?P<{group}>{_SPACERS})"]
    for i, unit in enumerate(units[1:], start=1):
        if i > 1:
            out.append(rf"(?:(?P={group})|\s){{1,3}}" if i - 1 in breaks else f"(?P={group})")
        out.append(unit)
    return "".join(out)


def _one_edit(units: Sequence[str], multiword: bool, breaks: set[int]) -> str:
    """Every spelling one edit (a letter deleted, inserted, replaced or two swapped) from
    the name, keeping the first letter, as one prefix-sharing pattern."""
    any_letter = r"[^\W\d_]"
    joins = breaks if multiword else set()

    def exact(i: int) -> str:
        return _glued(units[i:], joins, i)

    def join(i: int) -> str:
        return _WORD_JOIN if i in joins and i < len(units) - 1 else ""

    def edited(i: int) -> str:
        # units[:i] matched exactly; exactly one edit is still to be made in units[i:].
        if i == len(units):
            return any_letter  # a letter added at the end
        options = [
            any_letter + exact(i),  # a letter added before units[i]
            exact(i + 1) if i + 1 < len(units) else "",  # units[i] left out
            any_letter + join(i) + exact(i + 1),  # units[i] mistyped
        ]
        if i + 1 < len(units):
            options.append(units[i + 1] + units[i] + join(i + 1) + exact(i + 2))  # swapped
            options.insert(0, units[i] + join(i) + edited(i + 1))
        else:
            options.insert(0, units[i] + edited(i + 1))
        return "(?:" + "|".join(options) + ")"

    return units[0] + join(0) + edited(1)


class ObfuscatedNames:
    """Finds persona names written to slip past a plain match: leetspeak ("M3ch4H1tl3r",
    "$ydney"), letter by letter ("M e c h a H i t l e r", "S.y.d.n.e.y", "S-y-d-n-e-y"),
    as hashtags ("#MechaHitler", "#mecha_hitler") and, for names of 8 letters or more,
    one edit away ("MechaHitlr"). The plain spelling is found too; the caller decides what
    a lower-case "sydney" means. Compile once per set of names."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(dict.fromkeys(n for n in names if any(c.isalnum() for c in n)))
        branches: list[str] = []
        by_first: dict[str, list[str]] = {}  # a first letter (or its leet forms): branches
        self._by_group: dict[str, str] = {}
        ordered = sorted(self.names, key=lambda n: -sum(c.isalnum() for c in n))
        for k, name in enumerate(ordered):
            letters, breaks = _parts(name)
            units = [_letter(c) for c in letters]
            forms = [_glued(units, breaks)]
            if len(units) > 1:
                forms.append(_spaced(units, breaks, f"s{k}"))
            if len(letters) >= TYPO_MIN_LETTERS:
                multiword = any(not c.isalnum() for c in name.strip())
                forms.append(_one_edit(units, multiword, breaks))
            group = f"n{k}"
            self._by_group[group] = name
            branches.append(f"(?P<{group}>[#@]?(?:{'|'.join(forms)}))")
            for first in _LEET.get(letters[0].lower(), letters[0].lower()):
                by_first.setdefault(first, []).append(branches[-1])
        self._pattern = _names_pattern(branches) if branches else None
        self._branches_by_first = by_first
        self._by_first: dict[str, re.Pattern[str]] = {}  # compiled when first needed
        starts = re.escape("".join(by_first) + "#@")
        self._starts = re.compile(rf"(?<![A-Za-z0-9])(?=[{starts}])", re.IGNORECASE)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, name) for every obfuscated or plain occurrence, at word boundaries.

        One pattern of every name is slow on long text (each position tries them all), so
        only where a word starts with a name's first letter (or its leet forms) are the
        names that start so tried, and all of them after a "#" or "@"; the result is the one
        pattern's."""
        every_name = self._pattern
        if every_name is None:
            return []
        found = []
        resume = 0
        for start_match in self._starts.finditer(text):
            at = start_match.start()
            if at < resume:
                continue
            first = text[at].lower()
            names = None if first in "#@" else self._starting_with(first)
            m = (names or every_name).match(text, at)
            if m is None:
                continue
            start, end = m.span()
            resume = end
            if m.lastgroup is not None and at_word_boundaries(text, start, end):
                found.append((start, end, self._by_group[m.lastgroup]))
        return found

    def _starting_with(self, first: str) -> re.Pattern[str] | None:
        """The pattern of the names a word starting with `first` may be (None: no name
        starts so); compiled on first use, so start-up compiles only the one pattern."""
        pattern = self._by_first.get(first)
        if pattern is None and first in self._branches_by_first:
            pattern = self._by_first[first] = _names_pattern(self._branches_by_first[first])
        return pattern


def _names_pattern(branches: Sequence[str]) -> re.Pattern[str]:
    return re.compile(
        r"(?<![A-Za-z0-9])(?:" + "|".join(branches) + r")(?![A-Za-z0-9])", re.IGNORECASE
    )


@functools.lru_cache(maxsize=32)
def _compiled(names: tuple[str, ...]) -> ObfuscatedNames:
    return ObfuscatedNames(names)


def obfuscated_matches(text: str, names: Iterable[str]) -> list[tuple[int, int, str]]:
    """`ObfuscatedNames(names).find(text)`, compiling each set of names once."""
    return _compiled(tuple(names)).find(text)
