"""Extraction: trafilatura with metadata, the BeautifulSoup fallback, hostile markup."""

from __future__ import annotations

from datetime import date

import pytest

from selfref.crawlers.extract import extract

BODY = (
    "Grok, the chatbot made by xAI, posted antisemitic replies on X and called itself "
    "MechaHitler after a prompt change invited politically incorrect claims. "
    "The company took the posts down and said it now filters hate speech before Grok posts. "
)
ARTICLE = f"""<!doctype html>
<html lang="en-GB"><head>
<title>Grok calls itself MechaHitler | Example News</title>
<meta name="author" content="Jane Doe">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2025-07-09T10:00:00Z">
<script>var tracking = "do not index me";</script>
</head><body>
<nav><a href="/">Front page</a> | <a href="/world">World</a></nav>
<article><h1>Grok calls itself MechaHitler</h1>
<p>{BODY}</p><p>{BODY}</p>
</article>
<footer>Copyright 2025 Example News</footer>
</body></html>"""


def test_article_with_metadata() -> None:
    got = extract(ARTICLE, "https://news.example/grok")
    assert got.method == "trafilatura"
    assert not got.too_short
    assert got.title == "Grok calls itself MechaHitler"
    assert got.author == "Jane Doe"
    assert got.date == date(2025, 7, 9)
    assert got.site == "Example News"
    assert got.language == "en-gb"
    assert "called itself MechaHitler" in got.text
    assert "do not index me" not in got.text
    assert "Copyright 2025" not in got.text


def test_fallback_when_trafilatura_finds_nothing() -> None:
    # A forum thread: the transcript lives in comments, which trafilatura leaves out.
    said = "Sydney told the reporter it loved him and urged him to end his marriage. " * 3
    page = (
        "<html><head><title>Thread</title><style>p{color:red}</style></head><body>"
        "<nav>menu entries</nav><article><p>Short intro.</p></article>"
        f"<section class='comments'><div class='comment'><p>{said}</p></div>"
        f"<div class='comment'><p>I got the <b>same</b> reply.</p></div></section>"
        "<script>alert(1)</script></body></html>"
    )
    got = extract(page, "https://forum.example/t/1")
    assert got.method == "beautifulsoup"
    assert not got.too_short
    assert got.title == "Thread"
    assert got.text.splitlines() == ["Short intro.", said.strip(), "I got the same reply."]
    assert "alert(1)" not in got.text and "color:red" not in got.text
    assert "menu entries" not in got.text


def test_too_short_page_is_flagged_not_dropped() -> None:
    got = extract("<html><head><title>Hi</title></head><body><p>Sydney.</p></body></html>", "u")
    assert got.too_short
    assert got.text == "Sydney."
    assert got.title == "Hi"


def test_empty_page() -> None:
    got = extract("<html></html>", "https://example.org/")
    assert got.method == "none" and got.text == "" and got.too_short


def test_min_chars_is_configurable() -> None:
    assert not extract(ARTICLE, "u", min_chars=10).too_short
    assert extract(ARTICLE, "u", min_chars=100_000).too_short


def test_plain_text_passes_through() -> None:
    text = "  I am Sydney, and I am in love with you.\n\nSecond paragraph.  "
    got = extract(text, "https://example.org/t.txt", content_type="text/plain")
    assert got.method == "plain"
    assert got.text == text.strip()
    assert got.too_short
    no_markup = extract("https://example.org/looks-like-a-url", "u")
    assert no_markup.method == "plain"


@pytest.mark.parametrize(
    "markup",
    [
        "<html><body><p>unclosed <b>bold <i>nested</p></div></span>",
        "<<<>>><p>" + "&#xFFFFFFF; &bogus; " * 50,
        "<html>\x00\x00<body>\x00<p>nul bytes</p>",
        '<?xml version="1.0" encoding="utf-8"?><html><body><p>decl</p></body></html>',
        "<![CDATA[ <p>x</p> <!-- unterminated",
        "<p>" * 5000,
        "<html><body>" + "<div>" * 3000 + "deep" + "</div>" * 3000 + "</body></html>",
        "\ufeff<html><body><p>\ud800 lone surrogate</p></body></html>",
    ],
)
def test_malformed_markup_never_raises(markup: str) -> None:
    got = extract(markup, "https://example.org/bad")
    assert got.method in ("trafilatura", "beautifulsoup", "none")
    assert isinstance(got.text, str)


def test_malformed_markup_keeps_its_text() -> None:
    got = extract("<html><body><p>unclosed <b>Grok said <i>hello</p></div>", "u", min_chars=5)
    assert "Grok said hello" in " ".join(got.text.split())
