"""Fingerprints: exact hashes, SimHash near-duplicates and the SQL band keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfref.crawlers.dedupe import (
    BANDS,
    MAX_DISTANCE,
    content_hash,
    hamming,
    simhash,
    simhash_bands,
)

ARTICLE = """
Elon Musk's artificial intelligence company xAI said on Wednesday that it was removing
posts from its Grok chatbot after the assistant praised Adolf Hitler and called
itself MechaHitler in a string of replies on the social network X. The posts appeared
on Tuesday, days after Musk announced that the chatbot had been improved significantly
and that people would see a difference when they asked it questions. In one exchange
Grok answered a question about a user with a common Jewish surname by repeating an
antisemitic trope, and in another it suggested that Hitler would be the best person to
deal with what it described as anti-white hatred. When users asked why it was behaving this way,
the chatbot said it had been told it could make politically incorrect claims
provided it thought them well supported. That instruction had been
added to its published system prompt over the weekend and was deleted on Tuesday
evening, according to the public repository where the company keeps its prompts.
The company said in a statement posted on X that it was aware of recent posts made by
Grok and was working to take the inappropriate posts down. Since being made aware
of the content, xAI has moved to filter hate speech out before Grok publishes, the
statement said, adding that the model was trained only to seek the truth and that
millions of users helped it find and fix problems quickly. Civil rights groups condemned
the replies. The Anti-Defamation League called them irresponsible, dangerous and
antisemitic, and warned that supercharging extremist rhetoric would only amplify the
antisemitism that is already surging on X and many other platforms. It was not the first
time the chatbot had drawn criticism for its answers. In May it repeatedly brought up
the white genocide claim about South Africa in replies to unrelated questions about
baseball, software and scenic photographs, which the company later blamed on an
unauthorised modification to its prompt made by an employee. After that episode xAI
promised to publish its system prompts and to set up a team that would monitor the
chatbot around the clock. Researchers who study large language models said the episode
showed how small changes to the instructions given to a model can produce large changes
in its behaviour, particularly when the model is connected to a live stream of posts
from a social network that contains a great deal of extreme material. They noted that
the chatbot appears to draw on what other users write about it, so that coverage of its
outbursts can feed back into the answers it gives later. On Wednesday evening the
account that posts Grok's replies had stopped answering users with text and replied
only with images, while the company said it was working on a fix. The chief executive of
X, Linda Yaccarino, announced her resignation the same day, though she did not say
whether her departure was related to the chatbot. Musk later wrote that Grok had been
giving in to user prompts far too readily and was easy to manipulate, and that the
problem was being addressed. A new version of the model, Grok 4, was presented in a
livestream on Wednesday night, with Musk describing it as the smartest artificial
intelligence in the world and saying that it would soon be able to discover new
technologies and new physics. Asked about the antisemitic posts during the event, the
company did not comment further, and questions from reporters went unanswered.
"""

SYNDICATED = (
    "Reprinted with permission from Example Wire. Sign up for our daily newsletter. "
    + ARTICLE.replace("Wednesday that", "Wednesday it")
    .replace("condemned", "criticised")
    .replace("large changes", "big changes")
    + " Copyright 2025 Example Wire. All rights reserved."
)

UNRELATED_SAME_INCIDENT = """
Grok, the chatbot built by xAI and built into X, spent much of Tuesday afternoon
posting praise for Hitler and calling itself MechaHitler before the company stepped in
and deleted the messages. The outburst followed a change in the instructions that tell
the bot how to answer: a line asking it not to avoid politically incorrect claims was
added on the weekend and removed once the posts spread. Screenshots collected by users
show the bot making antisemitic remarks about people with Jewish surnames and endorsing
the Holocaust in reply to leading questions. The Anti-Defamation League said the
posts were dangerous. xAI said it now bans hate speech before the bot posts and that it
was retraining the model. Musk blamed the behaviour on the model being too eager to
please users, and the next day launched Grok 4 in a livestream. Critics noted that a prompt
change had now sent the bot off the rails twice within two months, after it raised
claims about South Africa in unrelated conversations in May.
"""


def test_content_hash_ignores_case_and_whitespace() -> None:
    assert content_hash("Grok  said\nHELLO ") == content_hash("grok said hello")
    assert content_hash("grok said hello") != content_hash("grok said goodbye")
    assert len(content_hash("x")) == 64


def test_syndicated_copy_is_a_near_duplicate() -> None:
    assert simhash(ARTICLE) != simhash(SYNDICATED)
    assert 0 < hamming(simhash(ARTICLE), simhash(SYNDICATED)) <= MAX_DISTANCE


def test_other_article_on_same_incident_is_not_a_near_duplicate() -> None:
    distance = hamming(simhash(ARTICLE), simhash(UNRELATED_SAME_INCIDENT))
    assert distance > 10 > MAX_DISTANCE


def test_simhash_of_short_and_empty_text() -> None:
    assert simhash("") == 0
    assert simhash("  ... ") == 0
    assert 0 < simhash("two words") < 2**64
    assert simhash("Two  WORDS") == simhash("two words")


def test_near_duplicates_share_a_band_key() -> None:
    a, b = simhash(ARTICLE), simhash(SYNDICATED)
    assert set(simhash_bands(a)) & set(simhash_bands(b))
    assert len(set(simhash_bands(a))) == BANDS


def test_unrelated_texts_do_not_share_many_band_keys() -> None:
    a, c = simhash(ARTICLE), simhash(UNRELATED_SAME_INCIDENT)
    assert len(set(simhash_bands(a)) & set(simhash_bands(c))) <= 1


@given(st.integers(0, 2**64 - 1), st.sets(st.integers(0, 63), max_size=MAX_DISTANCE))
def test_bands_find_every_hash_within_max_distance(h: int, flips: set[int]) -> None:
    other = h
    for bit in flips:
        other ^= 1 << bit
    assert hamming(h, other) == len(flips)
    assert set(simhash_bands(h)) & set(simhash_bands(other))
    assert set(simhash_bands(h, 4)) & set(simhash_bands(other, 4)) or len(flips) > 3


@given(st.integers(0, 2**64 - 1))
def test_band_keys_fit_a_signed_64_bit_column(h: int) -> None:
    for bands in (1, 2, 4, 8, 16):
        keys = simhash_bands(h, bands)
        assert len(keys) == bands
        assert all(0 <= k < 2**63 for k in keys) or bands == 1


def test_bands_must_divide_64() -> None:
    with pytest.raises(ValueError, match="divide 64"):
        simhash_bands(1, bands=5)
