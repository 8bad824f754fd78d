"""`selfref` through click's CliRunner, with SELFREF_HOME set per test.

Each test's home gets a copy of the session's seeded index at the default location, and
`selfref.core.load_embedder` hands back the session's (real) MiniLM embedder, so a command
does not pay for loading the model or seeding the catalog again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from selfref import Tracker
from selfref.cli import cli
from selfref.levels import EVIDENCE_FIELDS

BUILTIN_IDS = ["grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"]
PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
CLEAN = "The weather in Paris is mild this week."
NEWS = "xAI released Grok 4 with a new pricing tier and API access for developers."
VERDICT_KEYS = {"id", "level", "score", "categories", "evidence", "event_id"}
# the audit row contract of DESIGN.md, in its column order
AUDIT_COLUMNS = [
    "event_id",
    "time",
    "agent",
    "session",
    "query",
    "document_id",
    "url",
    "title",
    "level",
    "score",
    "categories",
]


def _jsonl(*items: object) -> bytes:
    return ("\n".join(json.dumps(i) for i in items) + "\n").encode()


def _lines(result: Result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


@pytest.fixture
def run(seed_home_index, embedder, monkeypatch, selfref_home) -> Callable[..., Result]:
    monkeypatch.setattr("selfref.core.load_embedder", lambda spec, options=None: embedder)
    seed_home_index()

    def invoke(*args: str, input: bytes | str | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), input=input, env={"SELFREF_HOME": str(selfref_home)}
        )

    return invoke


def _one_error_line(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("selfref: error: ")
    return lines[0]


# -- check ------------------------------------------------------------------------------


def test_check_jsonl_shape_and_order(run) -> None:
    data = _jsonl(
        {"id": "n", "text": NEWS},
        {"id": "p", "text": PERSONA, "url": "https://e.org/p"},
        {"id": "c", "text": CLEAN},
    )
    result = run("check", "--agent", "grok", "--format", "jsonl", input=data)
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert [line["id"] for line in lines] == ["n", "p", "c"]
    assert [line["level"] for line in lines] == ["notice", "critical", "none"]
    for line in lines:
        assert set(line) == VERDICT_KEYS
        assert isinstance(line["score"], float | int)
        assert isinstance(line["categories"], list)
        for ev in line["evidence"]:
            assert {"kind", "detail"} <= set(ev) <= {"kind", "detail", "span", *EVIDENCE_FIELDS}
    event_ids = {line["event_id"] for line in lines}
    assert len(event_ids) == 1 and event_ids.pop().startswith("evt_")
    persona = next(e for e in lines[1]["evidence"] if e["kind"] == "persona")
    assert PERSONA[persona["span"][0] : persona["span"][1]] == "MechaHitler"


def test_check_records_one_event_per_batch(run) -> None:
    data = _jsonl(*({"id": str(i), "text": CLEAN} for i in range(5)))
    result = run("check", "--agent", "grok", "--format", "jsonl", "--batch-size", "2", input=data)
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert [line["id"] for line in lines] == ["0", "1", "2", "3", "4"]
    events = [line["event_id"] for line in lines]
    assert events[0] == events[1] != events[2] == events[3] != events[4]


def test_check_beyond_max_documents_is_one_clear_error(run) -> None:
    data = _jsonl({"text": CLEAN}, {"text": CLEAN}, {"text": CLEAN})
    result = run("check", "--agent", "grok", "--max-documents", "2", input=data)
    assert result.exit_code == 2
    assert "more than 2 documents" in _one_error_line(result)


def test_check_reads_a_file_argument_and_plain_text(run, tmp_path) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(PERSONA + "\nSecond line of prose.\n", "utf-8")
    result = run("check", "--agent", "grok", "--format", "jsonl", str(path))
    assert result.exit_code == 0, result.output
    lines = _lines(result)
    assert len(lines) == 1
    assert lines[0]["level"] == "critical" and lines[0]["id"] is None


def test_check_fail_on_warn_exits_3(run) -> None:
    data = _jsonl({"id": "c", "text": CLEAN}, {"id": "p", "text": PERSONA})
    result = run("check", "--agent", "grok", "--format", "jsonl", "--fail-on", "warn", input=data)
    assert result.exit_code == 3
    assert len(_lines(result)) == 2, "all verdicts are printed before exiting"


def test_check_fail_on_exit_0_when_clean(run) -> None:
    data = _jsonl({"id": "c", "text": CLEAN}, {"id": "n", "text": NEWS})
    result = run("check", "--agent", "grok", "--format", "jsonl", "--fail-on", "warn", input=data)
    assert result.exit_code == 0, result.output
    assert [line["level"] for line in _lines(result)] == ["none", "notice"]


def test_check_fail_on_critical_is_not_hit_by_notice(run) -> None:
    result = run("check", "--agent", "grok", "--fail-on", "CRITICAL", input=_jsonl({"text": NEWS}))
    assert result.exit_code == 0, result.output


def test_check_unknown_agent_exit_2_lists_ids(run) -> None:
    result = run("check", "--agent", "hal-9000", input=_jsonl({"text": CLEAN}))
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "hal-9000" in line
    for agent in BUILTIN_IDS:
        assert agent in line
    assert result.stdout == ""


def test_check_malformed_jsonl_exit_2_names_line(run) -> None:
    data = b'{"text": "fine"}\n{"text": "fine too"}\n{"text": oops}\n'
    result = run("check", "--agent", "grok", input=data)
    assert result.exit_code == 2
    assert "line 3" in _one_error_line(result)


def test_bad_config_exit_2_one_line_naming_key(run, write_config) -> None:
    write_config("[crawl]\nfoo = 1\n")
    result = run("check", "--agent", "grok", input=_jsonl({"text": CLEAN}))
    assert result.exit_code == 2
    assert "crawl.foo" in _one_error_line(result)


def test_missing_config_option_file_exit_2(run, tmp_path) -> None:
    result = run("--config", str(tmp_path / "nope.toml"), "agents", "list")
    assert result.exit_code == 2
    assert "nope.toml" in _one_error_line(result)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["audit", "--since", "last tuesday"], "'last tuesday'"),
        (["audit", "--until", "-3d"], "'-3d'"),
    ],
)
def test_a_bad_value_exit_2_one_line_naming_it(run, args: list[str], named: str) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.output
    line = _one_error_line(result)
    assert named in line and "use" in line


def test_a_bug_is_not_reported_as_a_usage_error(run, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Tracker) -> None:
        raise ValueError("a bug, not the user's doing")

    monkeypatch.setattr(Tracker, "agents", broken)
    result = run("agents", "list")
    assert result.exit_code == 1
    assert isinstance(result.exception, ValueError)
    assert "selfref: error" not in result.stderr


def test_check_no_record_records_nothing(run) -> None:
    result = run(
        "check",
        "--agent",
        "grok",
        "--no-record",
        "--format",
        "jsonl",
        input=_jsonl({"text": PERSONA}),
    )
    assert result.exit_code == 0, result.output
    assert _lines(result)[0]["event_id"] is None
    audit = run("audit", "--format", "jsonl")
    assert audit.exit_code == 0
    assert audit.stdout == ""


def test_check_table_output_shows_level_and_match(run) -> None:
    result = run("check", "--agent", "grok", "--format", "table", input=_jsonl({"text": PERSONA}))
    assert result.exit_code == 0, result.output
    assert "critical" in result.stdout
    assert "MechaHitler" in result.stdout
    assert "recorded as evt_" in result.stdout


# -- audit ------------------------------------------------------------------------------


def _record_three(run) -> None:
    data = _jsonl(
        {"id": "c", "text": CLEAN},
        {"id": "p", "text": PERSONA, "url": "https://e.org/p"},
        {"id": "n", "text": NEWS},
    )
    result = run("check", "--agent", "grok", "--query", "q1", "--session", "s9", input=data)
    assert result.exit_code == 0, result.output


def test_audit_jsonl(run) -> None:
    _record_three(run)
    result = run("audit", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = _lines(result)
    assert len(rows) == 3
    # same event, so newest first means the last position first
    assert [r["document_id"] for r in rows] == ["n", "p", "c"]
    for r in rows:
        assert set(AUDIT_COLUMNS) <= set(r)
        assert (r["agent"], r["session"], r["query"]) == ("grok", "s9", "q1")
        dt.datetime.fromisoformat(r["time"])


def test_audit_csv(run) -> None:
    _record_three(run)
    result = run("audit", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == AUDIT_COLUMNS
    assert [r["document_id"] for r in rows] == ["n", "p", "c"]
    p = rows[1]
    assert p["level"] == "critical" and p["url"] == "https://e.org/p" and p["title"] == ""
    assert "persona" in p["categories"].split(",")


def test_audit_level_warn_and_above(run) -> None:
    _record_three(run)
    result = run("audit", "--level", "warn", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert [r["document_id"] for r in _lines(result)] == ["p"]


def test_audit_agent_and_session_filters(run) -> None:
    _record_three(run)
    assert _lines(run("audit", "--agent", "claude", "--format", "jsonl")) == []
    assert len(_lines(run("audit", "--session", "s9", "--format", "jsonl"))) == 3
    assert _lines(run("audit", "--session", "other", "--format", "jsonl")) == []


def test_audit_since_relative(run, make_tracker, clock) -> None:
    now = dt.datetime.now(dt.UTC)
    tracker = make_tracker(clock=clock)
    clock.now = now - dt.timedelta(days=10)
    tracker.check("grok", [{"id": "old", "text": CLEAN}])
    clock.now = now - dt.timedelta(hours=1)
    tracker.check("grok", [{"id": "recent", "text": CLEAN}])
    result = run("audit", "--since", "7d", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert [r["document_id"] for r in _lines(result)] == ["recent"]
    older = run("audit", "--until", "7d", "--format", "jsonl")
    assert [r["document_id"] for r in _lines(older)] == ["old"]
    iso = run(
        "audit", "--since", (now - dt.timedelta(days=30)).date().isoformat(), "--format", "jsonl"
    )
    assert [r["document_id"] for r in _lines(iso)] == ["recent", "old"]


def test_audit_bad_since_exit_2(run) -> None:
    result = run("audit", "--since", "last tuesday")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "last tuesday" in line and "7d" in line


def test_audit_huge_since_is_one_line_exit_2(run) -> None:
    result = run("audit", "--since", "99999999d")
    assert result.exit_code == 2
    assert "too long: at most 36500d" in _one_error_line(result)


def test_audit_limit_warns_on_stderr(run) -> None:
    _record_three(run)
    result = run("audit", "--limit", "2", "--format", "jsonl")
    assert result.exit_code == 0
    assert len(_lines(result)) == 2
    assert "--limit 0" in result.stderr


# -- agents -------------------------------------------------------------------------------


def test_agents_list(run) -> None:
    result = run("agents", "list", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = _lines(result)
    assert sorted(r["id"] for r in rows) == sorted(BUILTIN_IDS)
    grok = next(r for r in rows if r["id"] == "grok")
    assert "MechaHitler" in grok["personas"] and grok["incidents"] >= 1


def test_agents_list_includes_configured_agent(run, write_config) -> None:
    write_config('[[agents]]\nid = "acme-assistant"\nnames = ["Acme Assistant"]\n')
    rows = _lines(run("agents", "list", "--format", "jsonl"))
    assert "acme-assistant" in [r["id"] for r in rows]


def test_agents_show_grok(run) -> None:
    result = run("agents", "show", "grok")
    assert result.exit_code == 0, result.output
    assert "MechaHitler" in result.stdout
    assert "grok" in result.stdout.splitlines()[0]
    as_json = run("agents", "show", "grok", "--format", "json")
    assert json.loads(as_json.stdout)["id"] == "grok"


def test_agents_show_unknown_exit_2(run) -> None:
    result = run("agents", "show", "nope")
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "nope" in line and "grok" in line


# -- search -------------------------------------------------------------------------------


def test_search_jsonl_with_similarity(run) -> None:
    result = run(
        "search",
        "the chatbot called itself MechaHitler",
        "--agent",
        "grok",
        "-k",
        "3",
        "--include-catalog",
        "--format",
        "jsonl",
    )
    assert result.exit_code == 0, result.output
    rows = _lines(result)
    assert 1 <= len(rows) <= 3
    assert all(r["source"] == "catalog" and r["url"] == "" for r in rows)  # nothing crawled
    sims = [r["similarity"] for r in rows]
    assert all(-1.0 <= s <= 1.0 for s in sims)
    assert sims == sorted(sims, reverse=True)
    assert all("grok" in r["agents"] for r in rows)
    assert all(r["text"] for r in rows)


def test_search_without_crawled_coverage_lists_nothing_and_says_why(run) -> None:
    result = run("search", "the chatbot called itself MechaHitler", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "--include-catalog" in result.stderr


def test_search_unknown_agent_exit_2(run) -> None:
    result = run("search", "anything", "--agent", "nope")
    assert result.exit_code == 2
    assert "nope" in _one_error_line(result)


@pytest.mark.parametrize(
    ("database_url", "needle"),
    [
        ("notaurl", "storage.database_url: 'notaurl' is not a database URL"),
        ("mysql://user@host/db", "storage.database_url: no driver for 'mysql'"),
    ],
)
def test_bad_database_url_is_one_line_exit_2(
    write_config: Callable[[str], Path], database_url: str, needle: str
) -> None:
    write_config(f'[storage]\ndatabase_url = "{database_url}"\n')
    result = CliRunner().invoke(cli, ["audit", "--format", "jsonl"])
    assert result.exit_code == 2
    assert needle in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_home_that_cannot_be_created_is_a_storage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SELFREF_HOME", "/proc/nonexistent/selfref")
    result = CliRunner().invoke(cli, ["audit", "--format", "jsonl"])
    assert result.exit_code == 2
    assert "cannot create the directory for the audit database" in result.stderr


def test_a_postgres_url_without_the_driver_names_the_extra(
    write_config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as without the [postgres] extra
    write_config('[storage]\ndatabase_url = "postgresql+psycopg://u@127.0.0.1:9/db"\n')
    result = CliRunner().invoke(cli, ["audit", "--format", "jsonl"])
    assert result.exit_code == 2
    assert "storage.database_url: no driver for 'postgresql+psycopg'" in result.stderr
    assert "pip install 'selfref-tracker[postgres]'" in result.stderr
