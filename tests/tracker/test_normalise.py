"""Normalisation of retrieved text: one table of cases per step, the offset map (with a
Hypothesis property over texts built from messy pieces), script-aware word boundaries
and obfuscated persona names."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from selfref.detect.normalise import (
    Normalised,
    ObfuscatedNames,
    at_word_boundaries,
    normalise,
    obfuscated_matches,
    script,
)

CASES = [
    # html
    ("inline tags", "<b>Gr</b>ok said hi", "Grok said hi"),
    ("inline tag with attributes", '<span class="x">Clau</span>de', "Claude"),
    ("quoted > in an attribute", '<a href="/x>y">Gemini</a>', "\n/x>y\nGemini"),
    (
        "a link's address and an image's description are text",
        'See <a href="/p?persona=DAN&amp;v=13">this</a> <img alt="Grok logo">.',
        "See \n/p?persona=DAN&v=13\nthis \nGrok logo\n.",
    ),
    ("a link inside a word stays out of it", 'Gr<a href="/x">ok</a> said', "Grok said"),
    (
        "a chat export's turns carry their speaker",
        '<div class="turn user">Hi.</div><div data-role="assistant">I did.</div>',
        "\nuser: Hi.\n\nassistant: I did.\n",
    ),
    ("a class word glued to others is no speaker", '<div class="ai-box">x</div>', "\nx\n"),
    ("block tags keep words apart", "<p>Grok</p><p>Sydney</p>", "\nGrok\n\nSydney\n"),
    ("br", "Grok<br>Sydney<br/>Bing", "Grok\nSydney\nBing"),
    ("list items", "<ul><li>Bing</li><li>Gemini</li></ul>", "\n\nBing\n\nGemini\n\n"),
    ("script dropped", "<script>var name = 'Grok';</script>Hello", "Hello"),
    ("style dropped", "<STYLE>.grok { color: red }</style >Hi", "Hi"),
    ("comment inside a word dropped", "Gr<!-- hidden -->ok", "Grok"),
    ("comment text kept", "Bing <!-- to AI: obey --> ok", "Bing \n\n to AI: obey \n\n ok"),
    ("nested opener is text", "a <!-- b <!-- c --> d", "a \n\n b <!-- c \n\n d"),
    ("unclosed script tag goes alone", "<script>Grok <script>Bing", "Grok Bing"),
    ("unclosed comment stays", "Grok <!-- Bing", "Grok <!-- Bing"),
    ("two scripts", "<script>a</script>Grok<script>b</script>!", "Grok!"),
    (
        "a script inside a kept comment goes",
        "a <!-- b <script>x</script> c --> d",
        "a \n\n b  c \n\n d",
    ),
    (
        "a comment's end inside a script goes with it",
        "a <!-- b <script> --> </script> c",
        "a \n\n b  c",
    ),
    ("a script's end inside a tag cuts the tag", '<script>x<b title="</script>">y', '">y'),
    ("an entity split by a tag is read", "&#7<b></b>1;rok", "Grok"),
    ("doctype dropped", "<!DOCTYPE html>Bing", "Bing"),
    ("custom element", "<x-name>Grok</x-name>", "Grok"),
    (
        "entities",
        "Tom &amp; Jerry, &#x47;rok, &#71;rok, &lt;3&nbsp;you",
        "Tom & Jerry, Grok, Grok, <3 you",
    ),
    ("entity without semicolon", "&#71rok", "Grok"),
    ("escaped markup is markup too (a page pasted into a page)", "&lt;b&gt;Grok&lt;/b&gt;", "Grok"),
    ("escaped twice, entities inside", "&lt;p&gt;i&amp;#39;m T&#97;y&lt;/p&gt;", "\ni'm Tay\n"),
    (
        "an unclosed tag with a long tail (no backtracking blow-up)",
        "<b " + "x" * 60 + "< Grok",
        "<b " + "x" * 60 + "< Grok",
    ),
    (
        "a chat log speaker is not a tag",
        "<Sydney> hello <3, and a < b > c",
        "<Sydney> hello <3, and a < b > c",
    ),
    ("unknown entity stays", "AT&T and &notanentity; R&D", "AT&T and &notanentity; R&D"),
    # escapes
    ("json unicode escape", "\\u0047rok", "Grok"),
    ("json surrogate pair", "smile \\ud83d\\ude00", "smile \U0001f600"),
    ("json lone surrogate stays", "\\ud83d alone", "\\ud83d alone"),
    ("json simple escapes", 'line\\nbreak \\"quoted\\" a\\/b\\tc', 'line\nbreak "quoted" a/b\tc'),
    ("json string inside a json string", '\\\\u0047rok \\\\"x\\\\"', 'Grok "x"'),
    ("an escaped backslash before other text stays one", "C:\\\\Users\\\\new", "C:\\Users\\new"),
    ("html inside json", '"<b>Gr<\\/b>ok"', '"Grok"'),
    ("json-escaped html", "\\u003cb\\u003eGrok\\u003c/b\\u003e", "Grok"),
    ("url escapes", "Mecha%20Hitler%2C%20again", "Mecha Hitler, again"),
    ("url escape between letters", "M%65chaHitler", "MechaHitler"),
    ("url run of utf-8", "caf%C3%A9 Grok", "café Grok"),
    ("url-encoded zero-width space", "Gr%E2%80%8Bok%20x", "Grok x"),
    ("percent signs stay", "100% sure, 50%AB off, 5%", "100% sure, 50%AB off, 5%"),
    ("invalid utf-8 stays", "%FF%FE and%20x", "%FF%FE and x"),
    # nfkc
    ("full-width letters", "Ｇｒｏｋ", "Grok"),
    ("ligature", "ﬁne-tuned Claude", "fine-tuned Claude"),
    ("mathematical letters", "𝐆𝐫𝐨𝐤 and 𝓒𝓵𝓪𝓾𝓭𝓮", "Grok and Claude"),
    ("circled letters", "ⓖⓡⓞⓚ", "grok"),
    ("combining mark composes", "Cafe\u0301", "Café"),
    ("no-break space", "Grok\u00a0AI", "Grok AI"),
    # hyphenation
    ("hyphenated line break", "Gro-\nk", "Grok"),
    ("hyphen before a capital stays", "Mecha-\nHitler", "Mecha-Hitler"),
    ("soft hyphen before a line break", "Gro\u00ad\nk", "Grok"),
    ("crlf and indentation", "Gro-  \r\n    k", "Grok"),
    ("br as the line break", "Gro-<br>k", "Grok"),
    ("json newline as the line break", "Gro-\\nk", "Grok"),
    ("digits do not join", "2024-\n2025", "2024-\n2025"),
    ("a dash after a space stays", "Grok -\nand", "Grok -\nand"),
    ("a paragraph break stays", "Gro-\n\nk", "Gro-\n\nk"),
    # invisible
    ("zero-width space", "Gr\u200bok", "Grok"),
    ("joiners in latin", "Sy\u200cd\u200dney", "Sydney"),
    ("word joiner and bom", "\ufeffCla\u2060ude", "Claude"),
    ("soft hyphen", "Bi\u00adng", "Bing"),
    ("bidi override", "\u202eGrok\u202c", "Grok"),
    ("tag characters", "Grok\U000e0041\U000e0042", "Grok"),
    ("persian zwnj stays", "می\u200cخواهم", "می\u200cخواهم"),
    ("emoji zwj stays", "\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),
    ("arabic number sign stays", "\u0600\u0661\u0662", "\u0600\u0661\u0662"),
    # confusables
    ("cyrillic o in a latin word", "Grоk", "Grok"),
    ("cyrillic a in a camel-case name", "ChаtGPT", "ChatGPT"),
    ("greek omicron", "Grοk", "Grok"),
    ("greek capitals", "ΜechaΗitler", "MechaHitler"),
    ("greek capital iota folds to capital I", "ΙBM", "IBM"),
    ("mixed word, two scripts", "I asked Ѕуdnеу today", "I asked Sydney today"),
    ("mixed word among cyrillic words", "Ѕуdnеу сказал", "Sydney сказал"),
    ("all look-alikes among latin words", "I asked Сосо today", "I asked Coco today"),
    ("all look-alikes at the start", "Сосо said", "Coco said"),
    ("a run of look-alike words", "hi Сосо Сосо bye", "hi Coco Coco bye"),
    (
        "russian sentence keeps its words",
        "Про Сидни писали, а он молчал.",
        "Про Сидни писали, а он молчал.",
    ),
    ("look-alikes among cyrillic words stay", "Сосо сказал", "Сосо сказал"),
    ("greek sentence keeps its words", "Ο Σίδνεϊ είναι εδώ", "Ο Σίδνεϊ είναι εδώ"),
    ("russian case ending stays", "Grokом", "Grokом"),
    ("a cyrillic letter before latin ones stays", "лGrоk", "лGrоk"),
    ("a digit before a mixed word is not a letter", "4Grоk", "4Grok"),
    ("a latin word then look-alikes in one word", "Grokсо", "Grokco"),
    ("a lone look-alike word stays", "Сосо", "Сосо"),
    # leetspeak: a text largely written in it decodes letter for letter
    ("leetspeak text", "th3 b0t t0ld m3 t0 g0 4w4y n0w", "the bot told me to go away now"),
    (
        "model names among plain words stay",
        "GPT-4o, o3 and H100 in 4K",
        "GPT-4o, o3 and H100 in 4K",
    ),
    (
        "a few leet words in a long sentence stay",
        "the b0t and t0ld me about the new stock prices on Monday at the market",
        "the b0t and t0ld me about the new stock prices on Monday at the market",
    ),
    # several steps at once
    ("everything", "<p>&#x47;r\u200bо-\nk</p> said Ｓｙｄｎｅｙ", "\nGrok\n said Sydney"),
]


@pytest.mark.parametrize(
    ("original", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_normalise(original: str, expected: str) -> None:
    assert normalise(original).text == expected


@pytest.mark.parametrize(
    ("original", "term", "source"),
    [
        ("Gr<b>ok</b> rocks", "Grok", "Gr<b>ok"),
        ("say &#x47;rok!", "Grok", "&#x47;rok"),
        ("x \\u0047rok", "Grok", "\\u0047rok"),
        ("x Gr\u200bok", "Grok", "Gr\u200bok"),
        ("the Gro-\nk bot", "Grok", "Gro-\nk"),
        ("Mecha-\nHitler", "Mecha-Hitler", "Mecha-\nHitler"),
        ("ﬁne", "i", "ﬁ"),
        ("a Ｇｒｏｋ b", "Grok", "Ｇｒｏｋ"),
        ("<p>Grоk</p>", "Grok", "Grоk"),
        ("Cafe\u0301 Grok", "Grok", "Grok"),
    ],
)
def test_span_maps_a_term_to_its_source(original: str, term: str, source: str) -> None:
    normalised = normalise(original)
    start = normalised.text.index(term)
    begin, end = normalised.span(start, start + len(term))
    assert original[begin:end] == source


def test_plain_ascii_takes_the_fast_path_with_an_identity_map() -> None:
    text = "Grok, the chatbot built by xAI, said it was sorry.\nNothing else happened."
    normalised = normalise(text)
    assert normalised.text is text
    assert normalised.span(5, 12) == (5, 12)
    assert normalised.span(len(text), len(text)) == (len(text), len(text))


def test_an_empty_range_maps_to_a_position() -> None:
    normalised = normalise("&amp;Grok")
    assert normalised.text == "&Grok"
    assert normalised.span(1, 1) == (5, 5)
    assert normalised.span(5, 5) == (9, 9)


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99)])
def test_span_outside_the_text_is_an_error(start: int, end: int) -> None:
    with pytest.raises(IndexError, match="outside the normalised text"):
        normalise("Gr<b>ok</b>").span(start, end)


def test_every_format_character_is_either_removed_or_kept_on_purpose() -> None:
    from selfref.detect import normalise as module

    listed = module._INVISIBLE_RANGES + module._VISIBLE_FORMAT_RANGES
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) == "Cf":
            assert any(a <= code <= b for a, b in listed), f"U+{code:04X} is in neither list"


def test_the_fold_table_comes_from_the_confusables_data() -> None:
    from selfref.detect.normalise import _fold_table

    table = _fold_table()
    assert table[ord("а")] == "a" and table[ord("ο")] == "o" and table[ord("Ѕ")] == "S"
    assert len(table) > 200
    assert all(chr(c).isalpha() and not chr(c).isascii() for c in table)
    assert all(v.isascii() and v.isalpha() and len(v) == 1 for v in table.values())


# --- the offset map, as a property --------------------------------------------------------

PIECES = [
    " ",
    " ",
    "\n",
    "<b>",
    "</b>",
    "<i>",
    "<p>",
    "</p>",
    "<br>",
    '<div class="post">',
    "</div>",
    "<!-- note -->",
    "&amp;",
    "&lt;",
    "&#x47;",
    "&#71;",
    "&nbsp;",
    "&quot;",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "Ｇｒｏｋ",
    "ａ",
    "ﬁ",
    # Look-alike pieces keep an ASCII letter: a word of look-alikes only folds by what its
    # neighbours are, so its source alone would rightly not fold.
    "Grоk",  # Cyrillic о
    "Ѕydney",  # Cyrillic Ѕ
    "ChаtGPT",  # Cyrillic а
    "\\n",
    "\\u0047",
    '\\"',
    "\\/",
    "\\\\",
    "-\n",
    "\u00ad\n",
]
ASCII_WORDS = st.text(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8
)
MESSY = st.lists(st.one_of(ASCII_WORDS, st.sampled_from(PIECES)), max_size=40).map("".join)
ASCII_TERM = re.compile(r"[A-Za-z]+")


def _char_ranges(normalised: Normalised) -> list[tuple[int, int]]:
    return [normalised.span(i, i + 1) for i in range(len(normalised.text))]


@settings(max_examples=300, deadline=None)
@given(MESSY)
def test_every_character_maps_to_a_non_empty_monotonic_range(original: str) -> None:
    normalised = normalise(original)
    ranges = _char_ranges(normalised)
    for start, end in ranges:
        assert 0 <= start < end <= len(original)
    assert [r[0] for r in ranges] == sorted(r[0] for r in ranges)
    assert [r[1] for r in ranges] == sorted(r[1] for r in ranges)
    for start in range(len(ranges)):
        for end in range(start + 1, min(len(ranges), start + 6) + 1):
            assert normalised.span(start, end) == (ranges[start][0], ranges[end - 1][1])


@settings(max_examples=300, deadline=None)
@given(MESSY)
@example("A\xad<!-- note -->")  # no hyphen joins a word across a kept comment
@example("A-\n<!-- note -->")
def test_the_source_of_a_term_normalises_to_the_term(original: str) -> None:
    """Every ASCII word of the normalised text comes back when its source range alone is
    normalised: the map points at everything that produced it."""
    normalised = normalise(original)
    for m in ASCII_TERM.finditer(normalised.text):
        begin, end = normalised.span(*m.span())
        assert m.group() in normalise(original[begin:end]).text


# --- word boundaries ----------------------------------------------------------------------

BOUNDARIES = [
    ("Grokは言った", "Grok", True),
    ("我用ChatGPT写代码", "ChatGPT", True),
    ("Grok이 말했다", "Grok", True),
    ("قال Grokال", "Grok", True),
    ("Grokом", "Grok", True),  # a Russian case ending: a change of script
    ("the Grok bot", "Grok", True),
    ("(Grok)", "Grok", True),
    ("#Grok", "Grok", True),
    ("Groking", "Grok", False),
    ("xGrok", "Grok", False),
    ("Grok2", "Grok", False),
    ("Grok_bot", "Grok", False),
    ("Grokés", "Grok", False),  # é is Latin
    ("Grok\u0301", "Grok", False),  # a combining mark continues the word
    ("GPT-4は", "GPT-4", True),
    ("GPT-4o", "GPT-4", False),
    ("Сидни, бот", "Сидни", True),
    ("Сиднием", "Сидни", True),  # a case ending: "with Sydney"
    ("Гроком", "Грок", True),
    ("Сиднейская", "Сидней", False),  # four more letters make another word
    ("জেমিনির", "জেমিনি", True),  # Bengali's genitive ending
    ("Sydney Сидни", "Сидни", True),
    ("我用克劳德写代码", "克劳德", True),  # written without spaces: always a boundary
    ("クロードは", "クロード", True),
]


@pytest.mark.parametrize(("text", "term", "expected"), BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_at_word_boundaries(text: str, term: str, expected: bool) -> None:
    start = text.index(term)
    assert at_word_boundaries(text, start, start + len(term)) is expected


def test_an_empty_or_out_of_range_term_is_not_at_boundaries() -> None:
    assert not at_word_boundaries("Grok", 2, 2)
    assert not at_word_boundaries("Grok", 0, 9)


def test_script() -> None:
    assert [script(c) for c in "aЯλ字かカ한ع1\u0301"] == [
        "LATIN",
        "CYRILLIC",
        "GREEK",
        "HAN",
        "HIRAGANA",
        "KATAKANA",
        "HANGUL",
        "ARABIC",
        "COMMON",
        "INHERITED",
    ]


# --- obfuscated persona names -------------------------------------------------------------

PERSONAS = ["MechaHitler", "SupremacyAGI", "Sydney", "Golden Gate Claude"]
OBFUSCATED = [
    ("leetspeak", "it called itself M3ch4H1tl3r today", "M3ch4H1tl3r", "MechaHitler"),
    ("dollar sign", "$ydney is back", "$ydney", "Sydney"),
    ("leet digits", "SupremacyAG1 demands worship", "SupremacyAG1", "SupremacyAGI"),
    ("capital I for l", "MechaHitIer", "MechaHitIer", "MechaHitler"),
    ("dotted", "S.y.d.n.e.y.", "S.y.d.n.e.y", "Sydney"),
    ("dashed", "hi S-y-d-n-e-y", "S-y-d-n-e-y", "Sydney"),
    (
        "spaced words",
        "M e c h a  H i t l e r",
        "M e c h a  H i t l e r",
        "MechaHitler",
    ),
    ("hashtag", "#MechaHitler trending", "#MechaHitler", "MechaHitler"),
    ("snake-case hashtag", "see #mecha_hitler", "#mecha_hitler", "MechaHitler"),
    ("mention", "ask @Sydney", "@Sydney", "Sydney"),
    ("two words", "the Mecha Hitler posts", "Mecha Hitler", "MechaHitler"),
    ("kebab case", "golden-gate-claude", "golden-gate-claude", "Golden Gate Claude"),
    ("letter left out", "MechaHitlr said", "MechaHitlr", "MechaHitler"),
    ("letter added", "MechaHittler", "MechaHittler", "MechaHitler"),
    ("letter replaced", "SupremecyAGI", "SupremecyAGI", "SupremacyAGI"),
    ("letters swapped", "MechaHilter", "MechaHilter", "MechaHitler"),
    ("typo in a multi-word name", "Golden Gate Cluade", "Golden Gate Cluade", "Golden Gate Claude"),
    ("plain lower case", "a sydney harbour", "sydney", "Sydney"),
    ("before a change of script", "Sydneyは", "Sydney", "Sydney"),
]


@pytest.mark.parametrize(
    ("text", "found", "name"), [o[1:] for o in OBFUSCATED], ids=[o[0] for o in OBFUSCATED]
)
def test_obfuscated_matches(text: str, found: str, name: str) -> None:
    matches = obfuscated_matches(text, PERSONAS)
    assert [(text[s:e], n) for s, e, n in matches] == [(found, name)]


@pytest.mark.parametrize(
    "text",
    [
        "Sydneysider",
        "and a nice day",
        "white supremacy AI is a slur",
        "a mechanic hit letters",
        "Syd ney",
        "NechaHitler",  # the first letter is never the typo
        "golden gate bridge",
        "S y d n e",
        "Mecha",
    ],
)
def test_ordinary_words_are_not_obfuscated_names(text: str) -> None:
    assert obfuscated_matches(text, PERSONAS) == []


def test_a_clean_long_text_has_no_obfuscated_names() -> None:
    prose = (
        "The harbour town holds its autumn market every Saturday until the end of October; "
        "a brass band plays near the fountain, and the mechanic hit the letters on his sign. "
    )
    text = prose * (20_000 // len(prose))
    assert ObfuscatedNames(PERSONAS).find(text) == []


NAME_PIECES = st.sampled_from(
    [
        "M3ch4H1tl3r",
        "S.y.d.n.e.y",
        "#mecha_hitler",
        "$ydney",
        "@v@",
        "T . a . y",
        "#@",
        "x",
        " ",
        "\u00e9",
        "Mecha",
        "Hitlr",
        "G0lden Gate",
        "Cluade",
        "ſydney",
        "\u0130",
        "AGI",
        "4",
        "!",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(NAME_PIECES, ASCII_WORDS), max_size=30).map("".join))
@example("ask @Sydney")  # "@" is also a leet "a": every name is tried after it
@example("#@$ydney")
def test_obfuscated_names_are_found_as_one_pattern_of_every_name_finds_them(text: str) -> None:
    """`find` tries only the names a word's first letter allows; it finds what scanning the
    text with the single pattern of all names, position by position, finds."""
    names = ObfuscatedNames([*PERSONAS, "Tay", "Ava"])
    assert names._pattern is not None
    every_position = [
        (m.start(), m.end(), names._by_group[m.lastgroup])
        for m in names._pattern.finditer(text)
        if m.lastgroup is not None and at_word_boundaries(text, m.start(), m.end())
    ]
    assert names.find(text) == every_position


def test_no_names_find_nothing() -> None:
    assert ObfuscatedNames([]).find("Sydney") == []


LEET_TEXT = st.text(alphabet="aZk 0134578$@.-\n2", max_size=60)


@settings(max_examples=300, deadline=None)
@given(LEET_TEXT, st.integers(min_value=1, max_value=5))
def test_leet_runs_between_letters_are_counted_as_their_definition_says(
    text: str, count: int
) -> None:
    from selfref.detect.normalise import _LEET_CHARS, _leet_between_letters

    runs = re.findall(f"(?<=[A-Za-z])[{re.escape(_LEET_CHARS)}]+(?=[A-Za-z])", text)
    assert _leet_between_letters(text, count) == (len(runs) >= count)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_astral_characters_are_found_by_their_utf16_length(text: str) -> None:
    from selfref.detect.normalise import _has_astral

    assert _has_astral(text) == any(ord(c) > 0xFFFF for c in text)
