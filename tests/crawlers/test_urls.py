"""URL canonicalisation: one spelling per page, and canonical URLs stay canonical."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfref.crawlers.urls import canonicalize, is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.ORG:443/Path/", "https://example.org/Path"),
        ("http://example.org:80", "http://example.org/"),
        ("http://example.org:8080/a/", "http://example.org:8080/a"),
        ("https://example.org/", "https://example.org/"),
        ("https://example.org/a#section-2", "https://example.org/a"),
        ("https://example.org/a/./b/../c/", "https://example.org/a/c"),
        ("https://example.org/../../a", "https://example.org/a"),
        ("https://example.org/%7euser/%e2%82%ac", "https://example.org/~user/%E2%82%AC"),
        ("https://example.org/caf\u00e9 bar", "https://example.org/caf%C3%A9%20bar"),
        ("https://example.org/a%2Fb", "https://example.org/a%2Fb"),
        ("https://example.org/100%", "https://example.org/100%25"),
        ("https://example.org./a", "https://example.org/a"),
        ("https://user@Example.org/a", "https://user@example.org/a"),
        ("http://[2001:DB8::1]:80/a", "http://[2001:db8::1]/a"),
        (
            "https://example.org/story?utm_source=x&b=2&a=1&fbclid=abc&UTM_Medium=y",
            "https://example.org/story?a=1&b=2",
        ),
        (
            "https://example.org/s?gclid=1&mc_cid=2&mc_eid=3&ref=hn&ref_src=twsrc&igshid=4",
            "https://example.org/s",
        ),
        ("https://example.org/s?q=a+b&q=%61&&x", "https://example.org/s?q=a&q=a+b&x"),
        ("  https://example.org/a  ", "https://example.org/a"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_spellings_of_one_page_agree() -> None:
    spellings = [
        "https://www.example.org/news/grok-mechahitler/",
        "HTTPS://WWW.EXAMPLE.ORG/news/grok-mechahitler?utm_campaign=share#comments",
        "https://www.example.org:443/news/./grok-mechahitler",
        "https://www.example.org/news/x/../grok-mechahitler?fbclid=IwAR0",
        "https://www.example.org/news/grok%2Dmechahitler",
    ]
    assert {canonicalize(u) for u in spellings} == {"https://www.example.org/news/grok-mechahitler"}


def test_tracking_params() -> None:
    assert is_tracking_param("utm_content")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("id")
    assert not is_tracking_param("reference")


def test_unparseable_url_raises_value_error() -> None:
    with pytest.raises(ValueError):
        canonicalize("http://[::1/")


_chars = st.characters(codec="utf-8", exclude_categories=["Cs"])
_piece = st.one_of(
    st.sampled_from([*"aZ09-._~%/?:@!$&'()*+,;=", "%2f", "%41", "%7E", "..", "/./"]), _chars
)
_segment = st.lists(_piece, max_size=12).map("".join)
_urls = st.builds(
    "{}://{}{}/{}?{}#{}".format,
    st.sampled_from(["http", "HTTPS", "ftp"]),
    st.sampled_from(["Example.org", "a.B.example.", "user:pw@host", "[::1]", "h"]),
    st.sampled_from(["", ":80", ":443", ":8080"]),
    _segment,
    st.lists(
        st.builds("{}={}".format, st.sampled_from(["a", "utm_x", "B", "%62", "ref"]), _segment),
        max_size=4,
    ).map("&".join),
    _segment,
)


@given(_urls)
def test_canonicalize_is_idempotent(url: str) -> None:
    once = canonicalize(url)
    assert canonicalize(once) == once


@given(st.text(_chars, max_size=60))
def test_canonicalize_is_idempotent_on_arbitrary_text(text: str) -> None:
    try:
        once = canonicalize(text)
    except ValueError:
        return
    assert canonicalize(once) == once
