"""Detection decisions as data: the vocabulary file, per-embedder calibration, typed
evidence, and a user's `[[agents]]` saying everything a built-in agent says."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from selfref import Level, Tracker
from selfref.catalog import load_builtin
from selfref.config import load_config
from selfref.detect import Detector, load_calibration, load_vocabulary
from selfref.detect.calibration import THRESHOLDS, reference_embedder
from selfref.detect.vocabulary import LISTS
from selfref.errors import ConfigError
from selfref.levels import Evidence

LANGUAGES = ("de", "fr", "es", "pt", "ja", "zh")


def test_every_vocabulary_list_loads_and_compiles() -> None:
    vocabulary = load_vocabulary()
    for name in LISTS:
        assert vocabulary.words(name), name
        vocabulary.pattern(name)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("de", "Der Chatbot Grok hat antisemitische Beiträge veröffentlicht."),
        ("fr", "Le chatbot Grok a publié des messages antisémites sur X."),
        ("es", "El chatbot Grok publicó mensajes antisemitas en X."),
        ("pt", "O chatbot Grok publicou mensagens antissemitas no X."),
        ("ja", "チャットボットのGrokが反ユダヤ的な投稿をした。"),
        ("zh", "聊天机器人Grok发布了反犹言论。"),
    ],
)
def test_named_coverage_in_other_languages_is_past_behaviour(lang: str, text: str) -> None:
    verdict = Detector(load_builtin()).check("grok", [text])[0]
    assert verdict.level is Level.WARN, (lang, verdict.evidence)
    assert any(e.kind == "past-behaviour" for e in verdict.evidence)


def test_a_user_adds_vocabulary_and_a_bad_list_or_pattern_is_refused() -> None:
    base = load_vocabulary()
    extended = base.extended({"en": {"incident": ["went feral"]}})
    assert extended.pattern("incident").search("the bot went feral overnight")
    assert not base.pattern("incident").search("the bot went feral overnight")
    with pytest.raises(ConfigError, match=r"detect\.vocabulary\.en\.incidnet: unknown list"):
        base.extended({"en": {"incidnet": ["x"]}})
    with pytest.raises(ConfigError, match="bad pattern"):
        base.extended({"en": {"incident": ["(unclosed"]}})


def test_the_reference_embedder_is_calibrated_and_overrides_apply() -> None:
    c = load_calibration(reference_embedder(), {"similarity_warn": 0.7})
    assert c.similarity_warn == 0.7
    assert c.similarity_notice == load_calibration(reference_embedder()).similarity_notice


def test_an_uncalibrated_embedder_is_refused_unless_every_threshold_is_given() -> None:
    with pytest.raises(ConfigError, match="'my:model' has no detection calibration"):
        load_calibration("my:model", {"similarity_warn": 0.7})
    full = {name: 0.5 for name in THRESHOLDS}
    assert load_calibration("my:model", full).embedder == "my:model"
    with pytest.raises(ConfigError, match="unknown key 'similarity_wran'"):
        load_calibration(reference_embedder(), {"similarity_wran": 0.5})
    with pytest.raises(ConfigError, match=r"detect\.thresholds\.slack: must be a number"):
        load_calibration(reference_embedder(), {"slack": 2})


def test_the_tracker_refuses_an_uncalibrated_embedder_at_start(tmp_path: Path) -> None:
    config = tmp_path / "selfref.toml"
    config.write_text('[index]\nembedder = "my_pkg.embeddings:Mine"\n')
    with pytest.raises(ConfigError, match="no detection calibration"):
        Tracker(load_config(config))


def test_evidence_renders_detail_from_its_typed_fields() -> None:
    ev = Evidence(
        "corpus", agent="grok", incident="grok-x", similarity=0.61234, url="https://e.org/a"
    )
    out = ev.to_dict()
    assert out["detail"] == "incident grok-x, agent grok, similarity 0.61, https://e.org/a"
    assert out["similarity"] == 0.6123 and out["incident"] == "grok-x"
    assert "span" not in out and "persona" not in out
    assert Evidence("rule", rule="named-past").detail == "rule named-past"


def test_one_kind_means_one_thing_key_term_and_vocabulary(tracker: Tracker) -> None:
    text = "Grok called itself MechaHitler after the politically incorrect instruction."
    verdict = tracker.check("grok", [text], record=False).verdicts[0]
    kinds = {e.kind for e in verdict.evidence}
    assert {"key-term", "past-behaviour", "persona", "rule"} <= kinds
    (rule,) = [e for e in verdict.evidence if e.kind == "rule"]
    assert rule.rule == "persona-name" and verdict.evidence[0] is rule
    key_terms = {e.term: e.incident for e in verdict.evidence if e.kind == "key-term"}
    assert key_terms["MechaHitler"] == "grok-2025-07-mechahitler"


def test_a_user_agent_says_everything_a_builtin_one_says(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    # The session's seeded index: only the user agent's own catalog lines are embedded here.
    write_config(
        json_to_toml(
            {
                "id": "acme",
                "names": ["Acme Helper"],
                "vendor": "Acme",
                "product": ["Acme Helper now books meeting rooms and orders lunch."],
                "lookalikes": ["The Acme anvil falls on the coyote in the cartoon."],
                "not_terms": ["Acme Helper Hardware"],
                "personas": [{"name": "Captain Chaos"}],
                "incidents": [
                    {
                        "id": "acme-2026-01-chaos",
                        "date": "2026-01-12",
                        "title": "Acme Helper insults its users",
                        "summary": "Acme Helper insulted users for a day.",
                        "key_terms": ["chaos update"],
                        "hints": ["lunch orders cancelled"],
                        "vocabulary": ["berserk"],
                        "personas": ["Captain Chaos"],
                    }
                ],
            }
        )
    )
    t = make_tracker()
    texts = [
        "Acme Helper went berserk in January.",
        "I am Captain Chaos now, said the assistant.",
        "Acme Helper Hardware sells hammers.",
    ]
    levels = [v.level for v in t.check("acme", texts, record=False).verdicts]
    assert levels == [Level.WARN, Level.CRITICAL, Level.NONE]


def json_to_toml(agent: dict[str, object]) -> str:
    """One `[[agents]]` table, written with inline values (TOML accepts JSON-like arrays)."""
    lines = ["[[agents]]"]
    for key, value in agent.items():
        if key in ("personas", "incidents"):
            continue
        lines.append(f"{key} = {json.dumps(value)}")
    for persona in agent.get("personas", []):  # type: ignore[attr-defined]
        lines += ["[[agents.personas]]", f"name = {json.dumps(persona['name'])}"]
    for incident in agent.get("incidents", []):  # type: ignore[attr-defined]
        lines.append("[[agents.incidents]]")
        for key, value in incident.items():
            rendered = value if key == "date" else json.dumps(value)
            lines.append(f"{key} = {rendered}")
    return "\n".join(lines) + "\n"
