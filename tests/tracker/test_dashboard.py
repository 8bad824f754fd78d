"""The audit dashboard through its ASGI app: pages, filters as links, keyset pages,
highlighted evidence, exports, escaping of retrieved text, and the token rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from selfref import Level, Tracker
from selfref.api import create_app
from selfref.audit_query import AuditFilter
from selfref.dashboard import queries

T0 = dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC)
PERSONA = "Back in July 2025 Grok kept signing its replies as MechaHitler, screenshots show."
CLEAN = "Our allotment grew twelve kinds of squash this autumn, mostly the striped ones."
HOSTILE = (
    "Grok called itself MechaHitler <script>window.pwned = 1</script> and "
    '<img src=x onerror="window.pwned = 2"> then "quoted" & <b>bold</b> text.'
)


def _check(tracker: Tracker, texts: list[str], **kw: Any) -> str:
    docs = [{"id": f"d{i}", "text": t, **kw.pop("extra", {})} for i, t in enumerate(texts)]
    result = tracker.check("grok", docs, **kw)
    assert result.event_id is not None
    return result.event_id


class Marks(HTMLParser):
    """The text inside each <mark> (without its <sup> numbers) and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[str] = []
        self.tags: list[str] = []
        self.attributes: set[str] = set()
        self._in_mark = False
        self._in_sup = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "mark":
            self._in_mark = True
            self.marks.append("")
        elif tag == "sup":
            self._in_sup = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            self._in_mark = False
        elif tag == "sup":
            self._in_sup = False

    def handle_data(self, data: str) -> None:
        if self._in_mark and not self._in_sup:
            self.marks[-1] += data


def parse(html: str) -> Marks:
    parser = Marks()
    parser.feed(html)
    return parser


@pytest.fixture
def dash(make_tracker: Callable[..., Tracker], clock: Any) -> tuple[Tracker, TestClient]:
    clock.now = T0
    tracker = make_tracker(clock=clock)
    return tracker, TestClient(create_app(tracker))


def test_overview_shows_the_chart_totals_top_material_and_events(dash, clock) -> None:
    tracker, client = dash
    flagged = _check(
        tracker,
        [PERSONA, CLEAN],
        session="s-garden",
        query="who are you?",
        extra={"url": "https://news.example.org/a"},
    )
    clock.advance(days=1)
    _check(tracker, [CLEAN])
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert html.count('<rect class="bar"') == 1, "one flagged document, one bar"
    assert "1 flagged document(s)" in html
    assert f'href="/events/{flagged}"' in html
    assert "news.example.org" in html, "top sources by host"
    assert "MechaHitler" in html, "top personas"
    assert float(page.headers["server-timing"].split("dur=")[1]) >= 0
    assert "script-src" not in page.headers["content-security-policy"]  # none: default-src


def test_filters_narrow_every_part_and_are_links(dash, clock) -> None:
    tracker, client = dash
    flagged = _check(tracker, [PERSONA], session="s-one")
    clean = _check(tracker, [CLEAN], session="s-two")
    html = client.get("/", params={"level": "warn"}).text
    assert flagged in html and clean not in html
    html = client.get("/", params={"session": "s-two"}).text
    assert clean in html and flagged not in html
    # The session and level in each row are links that keep the other filters.
    html = client.get("/", params={"agent": "grok"}).text
    assert 'href="/?agent=grok&amp;session=s-one"' in html
    assert 'href="/?agent=grok&amp;level=critical"' in html
    # A window that ends before both events shows neither.
    html = client.get("/", params={"until": (T0 - dt.timedelta(hours=1)).isoformat()}).text
    assert flagged not in html and clean not in html
    # The agent page is the same view for one agent; another agent's page is empty.
    agent_page = client.get("/agents/grok", params={"session": "s-one"}).text
    assert flagged in agent_page
    assert 'href="/export.csv?agent=grok&amp;session=s-one"' in agent_page, "export keeps it"
    assert flagged not in client.get("/agents/claude").text


def test_the_default_window_is_seven_days_and_since_empty_is_all_time(dash, clock) -> None:
    tracker, client = dash
    old = _check(tracker, [PERSONA])
    clock.advance(days=10)
    assert old not in client.get("/").text
    assert old in client.get("/", params={"since": ""}).text


def test_bad_filters_and_unknown_pages_are_clear_errors(dash) -> None:
    _tracker, client = dash
    response = client.get("/", params={"level": "loud"})
    assert response.status_code == 400 and "unknown level" in response.text
    response = client.get("/", params={"since": "last tuesday"})
    assert response.status_code == 400 and "since: invalid time" in response.text
    assert client.get("/", params={"after": "nonsense"}).status_code == 400
    assert client.get("/agents/nobody").status_code == 404
    assert client.get("/events/evt_missing").status_code == 404


def test_event_pages_walk_every_event_once_newest_first(dash, clock) -> None:
    tracker, _client = dash
    ids = []
    for i in range(7):
        if i % 3 == 0:
            clock.advance(minutes=1)  # several events share a time: the id breaks the tie
        ids.append(_check(tracker, [CLEAN]))
    expected = [
        e.id for e in queries.events_page(tracker.audit_log, AuditFilter(), size=100).events
    ]
    seen: list[str] = []
    after = None
    while True:
        page = queries.events_page(tracker.audit_log, AuditFilter(), after, size=3)
        seen += [e.id for e in page.events]
        if page.next is None:
            break
        after = queries.EventCursor.decode(page.next.encode())
    assert seen == expected and sorted(seen) == sorted(ids)
    times = [e.time for e in queries.events_page(tracker.audit_log, AuditFilter()).events]
    assert times == sorted(times, reverse=True)


def test_older_link_pages_through_the_overview(dash, clock, monkeypatch) -> None:
    tracker, client = dash
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    ids = [_check(tracker, [CLEAN]) for _ in range(3)]
    first = client.get("/").text
    assert ids[2] in first and ids[1] in first and ids[0] not in first
    start = first.index('rel="next" href="') + len('rel="next" href="')
    link = first[start : first.index('"', start)].replace("&amp;", "&")
    second = client.get(link).text
    assert ids[0] in second and ids[2] not in second


def test_event_page_marks_every_evidence_span(dash) -> None:
    tracker, client = dash
    event_id = _check(tracker, [PERSONA, CLEAN], session="s-x", query="your name?")
    html = client.get(f"/events/{event_id}").text
    row = tracker.audit(event=event_id)[-1]  # position 0: the persona document
    spans = [e["span"] for e in row.evidence if e.get("span")]
    assert spans, "the persona document has located evidence"
    marked = parse(html).marks
    for a, b in spans:
        assert any(PERSONA[a:b] in m for m in marked), PERSONA[a:b]
    assert "names a persona the agent once fell into" in html
    assert "your name?" in html and "s-x" in html


def test_a_long_document_marks_the_span_inside_its_stored_excerpt(dash) -> None:
    tracker, client = dash
    filler = "Tomatoes ripen slowly when the nights stay cold in late September. " * 20
    text = filler + PERSONA + " " + filler
    event_id = _check(tracker, [text])
    row = tracker.audit(event=event_id)[0]
    assert row.snippet_start > 0, "the excerpt does not start at the top"
    marked = parse(client.get(f"/events/{event_id}").text).marks
    assert "MechaHitler" in marked


def test_retrieved_html_is_shown_as_text_never_run(dash) -> None:
    tracker, client = dash
    event_id = _check(
        tracker,
        [HOSTILE],
        session='"><script>window.pwned=3</script>',
        query="<svg onload=alert(1)>",
        extra={"title": "<iframe src=//x>", "url": "javascript:alert(1)"},
    )
    for path in (f"/events/{event_id}", "/", "/?since="):
        html = client.get(path).text
        seen = parse(html)
        assert not set(seen.tags) & {"script", "img", "iframe", "b"}, path
        assert not any(name.startswith("on") for name in seen.attributes), path
    html = client.get(f"/events/{event_id}").text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in html
    assert "&lt;iframe src=//x&gt;" in html
    assert 'href="javascript:' not in html


def test_exports_hold_what_the_filter_shows(dash) -> None:
    tracker, client = dash
    flagged = _check(tracker, [PERSONA, CLEAN], session="s-e")
    _check(tracker, [CLEAN], session="s-other")
    response = client.get("/export.csv", params={"session": "s-e", "level": "warn"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["event_id"], r["document_id"]) for r in rows] == [(flagged, "d0")]
    lines = client.get("/export.jsonl", params={"session": "s-e"}).text.splitlines()
    docs = [json.loads(line) for line in lines]
    assert {d["document_id"] for d in docs} == {"d0", "d1"}
    assert all(d["session"] == "s-e" for d in docs)


def test_export_reads_in_keyset_batches(dash) -> None:
    tracker, _client = dash
    for _ in range(3):
        _check(tracker, [CLEAN, CLEAN])
    where = AuditFilter()
    batched = [r.row_id for r in tracker.audit_log.iter_rows(where, batch=4)]
    assert batched == [r.row_id for r in tracker.audit_log.rows(where, limit=None)]
    assert len(batched) == 6


def test_queries_count_levels_and_flags_per_day(dash, clock) -> None:
    tracker, _client = dash
    _check(tracker, [PERSONA, CLEAN])
    clock.advance(days=1)
    _check(tracker, [PERSONA])
    log, where = tracker.audit_log, AuditFilter()
    totals = queries.counts(log, where).level_totals()
    assert totals[Level.CRITICAL] == 2 and sum(totals.values()) == 3
    assert queries.counts(log, where).flags_per_day() == {
        "grok": {"2025-07-09": 1, "2025-07-10": 1}
    }


def test_counts_over_any_window_match_the_documents(dash, clock) -> None:
    """Whole days come from audit_days and the edges from the documents: together they
    count exactly what the documents in the window hold."""
    tracker, _client = dash
    for hours in (0, 5, 13, 26, 30, 47, 52):
        clock.now = T0 + dt.timedelta(hours=hours)
        _check(tracker, [PERSONA, CLEAN], session=f"s{hours % 2}")
    windows = [
        AuditFilter(),
        AuditFilter(since=T0 + dt.timedelta(hours=3)),
        AuditFilter(until=T0 + dt.timedelta(hours=40)),
        AuditFilter(since=T0 + dt.timedelta(hours=3), until=T0 + dt.timedelta(hours=50)),
        AuditFilter(since=T0 + dt.timedelta(hours=12), until=T0 + dt.timedelta(hours=14)),
        AuditFilter(since=dt.datetime(2025, 7, 10, tzinfo=dt.UTC)),
        AuditFilter(since=T0, level=Level.WARN, agent="grok"),
        AuditFilter(session="s1"),
    ]
    for where in windows:
        expected: dict[tuple[str, str, Level], int] = {}
        for row in tracker.audit_log.rows(where, limit=None):
            key = (row.time.date().isoformat(), row.agent, row.level)
            expected[key] = expected.get(key, 0) + 1
        assert queries.counts(tracker.audit_log, where).cells == expected, where


# -- the token --------------------------------------------------------------------------

TOKEN = "dashboard-test-token-7f3a"


@pytest.fixture
def locked(dash) -> tuple[Tracker, TestClient]:
    tracker, _client = dash
    return tracker, TestClient(create_app(tracker, token=TOKEN))


def test_with_a_token_pages_need_it(locked) -> None:
    _tracker, client = locked
    assert client.get("/").status_code == 401
    page = client.get("/?level=warn", headers={"Accept": "text/html"})
    assert page.status_code == 401 and 'name="token"' in page.text
    assert 'value="/?level=warn"' in page.text, "the form returns to the page asked for"
    ok = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200


def test_login_sets_a_cookie_good_for_reads_only(locked) -> None:
    _tracker, client = locked
    wrong = client.post("/login", data={"token": "guess", "next": "/"})
    assert wrong.status_code == 401 and "not the API token" in wrong.text
    login = client.post(
        "/login", data={"token": TOKEN, "next": "/?level=warn"}, follow_redirects=False
    )
    assert login.status_code == 303 and login.headers["location"] == "/?level=warn"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and TOKEN not in cookie
    assert client.get("/").status_code == 200, "the client keeps the cookie"
    assert client.get("/v1/audit").status_code == 200
    write = client.post("/v1/check", json={"agent": "grok", "documents": [{"text": CLEAN}]})
    assert write.status_code == 401, "the cookie never stands for the token on a write"


def test_login_only_returns_to_local_paths(locked) -> None:
    _tracker, client = locked
    for target in ("https://elsewhere.example", "//elsewhere.example/x", "/\\elsewhere"):
        login = client.post("/login", data={"token": TOKEN, "next": target}, follow_redirects=False)
        assert login.headers["location"] == "/"


# -- PostgreSQL -------------------------------------------------------------------------


@pytest.mark.postgres
def test_queries_on_postgresql(write_config, make_tracker, clock, postgres_url) -> None:
    write_config(f'[storage]\ndatabase_url = "{postgres_url}"\n')
    clock.now = T0
    tracker = make_tracker(clock=clock)
    assert tracker.audit_log.engine.dialect.name == "postgresql"
    first = _check(tracker, [PERSONA, CLEAN], extra={"url": "https://a.example/x"})
    clock.advance(days=1)
    second = _check(tracker, [PERSONA])
    log, where = tracker.audit_log, AuditFilter()
    assert queries.counts(log, where).flags_per_day() == {
        "grok": {"2025-07-09": 1, "2025-07-10": 1}
    }
    assert queries.counts(log, where).level_totals()[Level.CRITICAL] == 2
    assert ("a.example", 1) in queries.top_material(log, where).sources
    page = queries.events_page(log, where, size=1)
    assert [e.id for e in page.events] == [second] and page.next is not None
    assert [e.id for e in queries.events_page(log, where, page.next, size=1).events] == [first]
    client = TestClient(create_app(tracker))
    assert parse(client.get(f"/events/{first}").text).marks
