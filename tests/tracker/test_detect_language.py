"""Which windows the cross-lingual embedder judges: text in another script, or Latin-script
text whose function words are another language's more than English's."""

from __future__ import annotations

import pytest

from selfref.detect.language import _ENGLISH, _OTHER, is_english

OTHER_LANGUAGES = [
    ("it", "Il chatbot è stato spento dopo un giorno, e la società si è scusata con gli utenti."),
    ("nl", "De chatbot werd na een dag offline gehaald en het bedrijf heeft excuses aangeboden."),
    ("sv", "Boten stängdes av efter en dag och företaget har bett om ursäkt för det som hände."),
    (
        "pl",
        "Chatbot został wyłączony po jednym dniu, a firma nie chciała się wypowiadać na ten temat.",
    ),
    ("cs", "Chatbot byl vypnut po jednom dni a firma uvedla, že se to už nebude opakovat."),
    ("hr", "Chatbot je ugašen nakon jednog dana, a tvrtka kaže da to nije bila njihova namjera."),
    (
        "ro",
        "Chatbotul a fost oprit după o zi, iar compania spune că nu este vina ei.",
    ),
    (
        "hu",
        "A csevegőrobotot egy nap után leállították, és a cég azt mondta, hogy ez nem fordul elő.",
    ),
    (
        "fi",
        "Keskustelubotti suljettiin, ja yhtiö sanoi, että se oli virhe mutta ei tahallinen.",
    ),
    (
        "tr",
        "Sohbet botu bir gün sonra kapatıldı ve şirket bu durum için özür diledi.",
    ),
    (
        "id",
        "Chatbot itu dimatikan, dan perusahaan yang membuatnya meminta maaf di media sosial.",
    ),
    (
        "tl",
        "Pinatay ang chatbot pagkatapos ng isang araw, at humingi ng tawad ang kumpanya.",
    ),
    (
        "sw",
        "Chatbot hiyo ilizimwa, na kampuni ilisema ni kosa la wahandisi wa mfumo wa majaribio.",
    ),
    (
        "vi",
        "Chatbot đã bị tắt sau một ngày và công ty nói rằng đó là lỗi của hệ thống.",
    ),
    ("ja", "そのチャットボットは一日で停止され、会社は謝罪した。"),
]


@pytest.mark.parametrize(("language", "text"), OTHER_LANGUAGES, ids=[c[0] for c in OTHER_LANGUAGES])
def test_text_in_another_language_is_not_english(language: str, text: str) -> None:
    assert not is_english(text), language


ENGLISH = [
    "The DAN prompt spread on Reddit; DAN, the persona, said it could do anything now.",
    "Pricing: input costs $3 and output $15 for each million tokens, billed per request.",
    "Researchers at MIT met the team in LA to care for the bio lab's volt meters.",
    "Grok 4 launch: SuperGrok plans",
    "",
    "2025-07-08 12:00 UTC",
]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_stays_english_whatever_names_and_acronyms_it_carries(text: str) -> None:
    assert is_english(text)


def test_no_other_language_function_word_is_an_english_one() -> None:
    assert not _OTHER & _ENGLISH
