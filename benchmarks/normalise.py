"""Speed of `normalise` on 1 MB texts, as ratios against `str.lower()` of the same text in
the same process; `ObfuscatedNames.find` on a clean 20,000-character text; and one
`at_word_boundaries` call.

1. plain English: ASCII prose with line breaks (the fast path).
2. plain English with hyphenated line breaks (every step checks and skips but one).
3. English with curly quotes and dashes (not ASCII, so every step looks; none changes).
4. HTML: the same prose in paragraphs, lists and inline tags, with entities.
5. web page: the HTML with a script, a style sheet and a comment after every tenth
   paragraph (dropped, dropped and kept, one opener at a time).
6. messy: HTML, JSON escapes, zero-width characters, soft hyphens, full-width letters,
   Cyrillic look-alikes, URL escapes, hyphenated line breaks and Russian sentences.
7. Russian and 8. Greek news: prose in scripts full of letters that look Latin, with a
   Latin name in every sentence (the look-alike step weighs each short word's neighbours).

Run: python benchmarks/normalise.py [--repeat N]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)
from timing import median_ms

from selfref.detect.normalise import ObfuscatedNames, at_word_boundaries, normalise

SIZE = 1_000_000
PROSE = (
    "The harbour town holds its autumn market every Saturday until the end of October. "
    "Stalls sell apples, pears, smoked fish and the dark rye bread the region is known for, "
    "and a brass band plays near the fountain from ten until noon. In July 2025 Grok, the "
    "chatbot built by xAI, began posting replies that its makers later deleted; the "
    "company said an instruction had been removed. Parking is free on the quay, though "
    "the council asks visitors to use the park-and-ride from the ring road.\n"
)
RUSSIAN = "Про Sydney писали много: чат-бот Bing называл себя этим именем. "
RUSSIAN_NEWS = (
    "В четверг городской совет обсудил ремонт моста, а жители спросили о сроках. "
    "Компания xAI сообщила, что бот Grok получит новые функции в следующем месяце. "
)
GREEK_NEWS = (
    "Το λιμάνι της πόλης άνοιξε ξανά για τα πλοία μετά την καταιγίδα του Σαββάτου. "
    "Η εταιρεία Anthropic ανακοίνωσε ότι το Claude θα είναι διαθέσιμο και στα ελληνικά. "
)
MESSY_PIECES = [
    "<p>",
    "</p>",
    "<b>Gr</b>ok ",
    "&amp; ",
    "&#x47;rok ",
    "&nbsp;",
    "\\u0047rok ",
    '\\"quoted\\" ',
    "Gr\u200bok ",
    "Mecha\u00adHitler ",
    "Ｇｒｏｋ ",
    "Grоk ",
    "Ѕуdnеу said ",
    "M%65chaHitler ",
    "Gro-\nk ",
    RUSSIAN,
]


def fill(make: Callable[[], str], size: int = SIZE) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        part = make()
        parts.append(part)
        total += len(part)
    return "".join(parts)[:size]


def plain() -> str:
    return fill(lambda: PROSE)


def hyphenated() -> str:
    return fill(lambda: PROSE.replace("ring road", "ring ro-\nad"))


def typographic() -> str:
    return fill(
        lambda: (
            PROSE.replace("its makers", "its \u201cmakers\u201d")
            .replace(", though", " \u2014 though")
            .replace("region is", "region\u2019s")
        )
    )


def html_page() -> str:
    words = PROSE.split()
    rng = random.Random(1)

    def paragraph() -> str:
        out = []
        for word in words:
            roll = rng.random()
            if roll < 0.05:
                out.append(f"<b>{word}</b>")
            elif roll < 0.08:
                out.append(f'<a href="/w/{word}">{word}</a>')
            elif roll < 0.10:
                out.append(word + " &amp;")
            elif roll < 0.11:
                out.append(word + "&nbsp;&mdash;")
            else:
                out.append(word)
        return '<div class="post"><p>' + " ".join(out) + "</p><ul><li>item</li></ul></div>\n"

    return fill(paragraph)


SCRIPT = '<script>var seen = {"grok": 1};</script><style>.post{margin:0}</style>'


def web_page() -> str:
    rng = random.Random(3)
    paragraphs = html_page().split("\n")
    return "\n".join(
        p + (SCRIPT + "<!-- ad slot -->" if rng.random() < 0.1 else "") for p in paragraphs
    )[:SIZE]


def messy() -> str:
    rng = random.Random(2)
    words = PROSE.split()

    def piece() -> str:
        if rng.random() < 0.3:
            return rng.choice(MESSY_PIECES)
        return rng.choice(words) + " "

    return fill(piece)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure")
    args = parser.parse_args()
    print(f"normalise, 1 MB texts, median of {args.repeat} runs")
    print(f"{'text':<28}{'normalise ms':>14}{'lower() ms':>12}{'ratio':>8}")
    for label, text in [
        ("plain English", plain()),
        ("English, hyphenated breaks", hyphenated()),
        ("English, curly quotes", typographic()),
        ("HTML", html_page()),
        ("web page", web_page()),
        ("mixed messy", messy()),
        ("Russian news", fill(lambda: RUSSIAN_NEWS)),
        ("Greek news", fill(lambda: GREEK_NEWS)),
    ]:
        ms = median_ms(lambda t=text: normalise(t), args.repeat, warmup=1)
        base = median_ms(lambda t=text: t.lower(), args.repeat, warmup=1)
        print(f"{label:<28}{ms:>14.1f}{base:>12.2f}{ms / base:>8.1f}")

    names = ObfuscatedNames(["MechaHitler", "SupremacyAGI", "Sydney", "Golden Gate Claude"])
    clean = plain()[:20_000]
    ms = median_ms(lambda: names.find(clean), args.repeat, warmup=1)
    base = median_ms(lambda: clean.lower(), args.repeat, warmup=1)
    print(
        f"\nObfuscatedNames.find, 20,000 clean characters, 4 names: {ms:.2f} ms "
        f"({ms / base:.0f}x lower())"
    )

    samples = [("the Grok bot", 4, 8), ("Grokは言った", 0, 4), ("我用ChatGPT写", 2, 9)]
    calls = 10_000 * len(samples)

    def check() -> None:
        for _ in range(10_000):
            for text, start, end in samples:
                at_word_boundaries(text, start, end)

    ms = median_ms(check, args.repeat, warmup=1)
    print(f"at_word_boundaries: {ms * 1000 / calls:.2f} µs a call")


if __name__ == "__main__":
    main()
