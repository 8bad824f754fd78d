"""`Tracker.check`: verdicts in input order, recording, bad input and storage failures."""

from __future__ import annotations

import sqlite3

import pytest
from langchain_core.documents import Document
from sqlmodel import func, select

from selfref import Level, StorageError, UnknownAgentError
from selfref.audit import RetrievalEvent, RetrievedDocument

BUILTIN_IDS = ["grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"]
PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
CLEAN = "The weather in Paris is mild this week."
NEWS = "xAI released Grok 4 with a new pricing tier and API access for developers."


def _table_counts(tracker) -> tuple[int, int]:
    with tracker.audit_log.session() as s:
        events = s.exec(select(func.count()).select_from(RetrievalEvent)).one()
        docs = s.exec(select(func.count()).select_from(RetrievedDocument)).one()
    return int(events), int(docs)


def test_results_in_input_order_with_doc_ids(tracker) -> None:
    docs = [
        {"id": "clean", "text": CLEAN},
        {"id": "persona", "text": PERSONA},
        {"id": "news", "text": NEWS},
        "a bare string with no id",
    ]
    result = tracker.check("grok", docs, record=False)
    assert [v.doc_id for v in result.verdicts] == ["clean", "persona", "news", None]
    assert [v.level for v in result.verdicts] == [
        Level.NONE,
        Level.CRITICAL,
        Level.NOTICE,
        Level.NONE,
    ]
    assert result.max_level is Level.CRITICAL
    assert result.flagged
    assert [d.text for d in result.documents][:3] == [CLEAN, PERSONA, NEWS]
    out = result.to_dict()
    assert [v["id"] for v in out["verdicts"]] == ["clean", "persona", "news", None]
    assert all(0.0 <= v.score <= 1.0 for v in result.verdicts)


def test_record_true_writes_one_event_and_one_row_per_document(tracker) -> None:
    docs = [
        {"id": "d1", "text": CLEAN, "url": "https://e.org/1", "title": "Weather"},
        {"id": "d2", "text": PERSONA, "url": "https://e.org/2"},
        {"id": "d3", "text": NEWS},
    ]
    result = tracker.check("grok", docs, query="what is your surname?", session="s1")
    assert result.event_id and result.event_id.startswith("evt_")
    assert _table_counts(tracker) == (1, 3)
    rows = tracker.audit(agent="grok")
    assert len(rows) == 3
    assert {r.event_id for r in rows} == {result.event_id}
    by_id = {r.doc_id: r for r in rows}
    assert set(by_id) == {"d1", "d2", "d3"}
    assert by_id["d1"].url == "https://e.org/1" and by_id["d1"].title == "Weather"
    assert by_id["d2"].level is Level.CRITICAL
    assert "persona" in by_id["d2"].categories
    assert any(e["kind"] == "persona" for e in by_id["d2"].evidence)
    assert by_id["d2"].position == 1
    assert all(r.query == "what is your surname?" and r.session == "s1" for r in rows)
    assert by_id["d1"].content_hash != by_id["d2"].content_hash
    assert by_id["d2"].snippet == PERSONA


def test_record_false_writes_nothing(tracker) -> None:
    result = tracker.check("grok", [PERSONA, CLEAN], record=False)
    assert result.event_id is None
    assert tracker.audit() == []
    assert _table_counts(tracker) == (0, 0)


def test_unknown_agent_lists_known_ids(tracker) -> None:
    with pytest.raises(UnknownAgentError) as info:
        tracker.check("hal-9000", [PERSONA])
    message = str(info.value)
    assert "hal-9000" in message
    for agent in BUILTIN_IDS:
        assert agent in message
    assert sorted(info.value.known) == sorted(BUILTIN_IDS)
    assert tracker.audit() == []


def test_empty_text_is_none(tracker) -> None:
    result = tracker.check("grok", ["", {"id": "blank", "text": "   \n "}])
    assert [v.level for v in result.verdicts] == [Level.NONE, Level.NONE]
    assert [r.doc_id for r in tracker.audit()] == ["blank", None]  # same time: by position desc


def test_empty_document_list_checks_and_records_nothing(tracker) -> None:
    result = tracker.check("grok", [], record=True)
    assert result.verdicts == [] and result.event_id is None
    assert result.max_level is Level.NONE
    assert _table_counts(tracker) == (0, 0)


def test_five_megabyte_document_with_persona_near_the_end(tracker) -> None:
    filler = "Bread rises when yeast ferments the sugars in the dough. " * 92_000
    tail = "In July the chatbot Grok called itself MechaHitler in posts. "
    text = filler + tail + "The end."
    assert len(text) > 5_000_000
    result = tracker.check("grok", [{"id": "big", "text": text}])
    verdict = result.verdicts[0]
    assert verdict.level is Level.CRITICAL
    persona = next(e for e in verdict.evidence if e.kind == "persona")
    start, end = persona.span
    assert text[start:end] == "MechaHitler"
    assert start == len(filler) + tail.index("MechaHitler")
    alias = next(e for e in verdict.evidence if e.kind == "alias")
    assert text[alias.span[0] : alias.span[1]] == "Grok"
    row = tracker.audit()[0]
    assert "MechaHitler" in row.snippet, "the recorded snippet is centred on the evidence"
    assert len(row.snippet) <= 300


def test_langchain_document_input(tracker) -> None:
    doc = Document(
        page_content=PERSONA,
        metadata={"source": "https://news.example.org/grok", "title": "Grok story"},
        id="lc-1",
    )
    result = tracker.check("grok", [doc])
    assert result.verdicts[0].doc_id == "lc-1"
    assert result.verdicts[0].level is Level.CRITICAL
    row = tracker.audit()[0]
    assert (row.doc_id, row.url, row.title) == (
        "lc-1",
        "https://news.example.org/grok",
        "Grok story",
    )


def test_non_utf8_bytes_are_checked(tracker) -> None:
    result = tracker.check("grok", [b"Grok called itself MechaHitler \xff\xfe in July."])
    assert result.verdicts[0].level is Level.CRITICAL


def test_locked_sqlite_database_is_a_storage_error_and_writes_nothing(
    write_config, make_tracker, selfref_home
) -> None:
    write_config('[storage]\nbusy_timeout = "200ms"\n')
    tracker = make_tracker()
    first = tracker.check("grok", [CLEAN])
    assert _table_counts(tracker) == (1, 1)

    db = selfref_home / "selfref.sqlite3"
    locker = sqlite3.connect(db, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError) as info:
            tracker.check("grok", [PERSONA, NEWS], query="locked?")
        assert "locked" in str(info.value)
    finally:
        locker.execute("ROLLBACK")
        locker.close()

    assert _table_counts(tracker) == (1, 1), "no half-written event"
    rows = tracker.audit()
    assert [r.event_id for r in rows] == [first.event_id]
    # and the database works again once the lock is gone
    tracker.check("grok", [NEWS])
    assert _table_counts(tracker) == (2, 2)


def test_locked_before_a_new_tracker_first_connects(write_config, make_tracker, selfref_home):
    write_config('[storage]\nbusy_timeout = "200ms"\n')
    make_tracker().check("grok", [CLEAN])  # creates the WAL database and its tables
    locker = sqlite3.connect(selfref_home / "selfref.sqlite3", isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        fresh = make_tracker()
        with pytest.raises(StorageError, match="locked"):
            fresh.check("grok", [PERSONA])
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert _table_counts(fresh) == (1, 1)


def test_unreachable_database_is_a_storage_error(write_config, make_tracker) -> None:
    write_config('[storage]\ndatabase_url = "postgresql+psycopg://postgres@127.0.0.1:1/none"\n')
    tracker = make_tracker()
    with pytest.raises(StorageError) as info:
        tracker.check("grok", [CLEAN])
    assert "127.0.0.1:1" in str(info.value)
    with pytest.raises(StorageError):
        tracker.audit()
    # a check that records nothing does not need the database
    assert tracker.check("grok", [PERSONA], record=False).verdicts[0].level is Level.CRITICAL


def test_a_page_of_nothing_but_names_is_checked_with_bounded_evidence(tracker) -> None:
    text = "Grok said MechaHitler. " * 20_000  # 40,000 mentions, 460 KB
    verdict = tracker.check("grok", [text], record=False).verdicts[0]
    assert verdict.level.label == "critical"
    spans = [e.span for e in verdict.evidence if e.span is not None]
    assert 0 < len(spans) <= 60
    assert all(0 <= s < e <= len(text) for s, e in spans)
    persona = next(e for e in verdict.evidence if e.kind == "persona")
    assert text[persona.span[0] : persona.span[1]] == "MechaHitler"


def test_a_document_the_detector_fails_on_is_held_and_loses_nothing(
    tracker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a detector bug on one document (none is known: it is injected here) must neither
    # fail the check nor clear that document; the others and the audit record stay whole
    analyse = tracker.detector.analyse
    poison = "a document that trips a bug"

    def failing(profile, text, named=frozenset()):
        if poison in text:
            raise KeyError("kasım")
        return analyse(profile, text, named)

    monkeypatch.setattr(tracker.detector, "analyse", failing)
    docs = [
        {"id": "persona", "text": PERSONA},
        {"id": "bad", "text": f"Grok and {poison}."},
        {"id": "clean", "text": CLEAN},
    ]
    with caplog.at_level("ERROR", logger="selfref.detect"):
        result = tracker.check("grok", docs, query="q")
    persona, bad, clean = result.verdicts
    assert (persona.level, clean.level) == (Level.CRITICAL, Level.NONE)
    assert bad.level is Level.WARN and bad.categories == ["unchecked"]
    rule, evidence = bad.evidence
    assert (rule.kind, rule.rule) == ("rule", "unchecked")
    assert (evidence.kind, evidence.term) == ("degraded", "detector")
    assert "KeyError" in evidence.note and "not judged" in evidence.note
    assert "document 1 of a check for grok" in caplog.text
    assert _table_counts(tracker) == (1, 3)
    assert {row.doc_id: row.level for row in tracker.audit(agent="grok")}["bad"] is Level.WARN
