"""The crawl pipeline end to end against a real HTTP server on loopback.

A small synthetic site: incident coverage of Grok and Gemini, a syndicated copy of the
Grok article, unrelated pages (one about Claude Monet), a feed listing some of them, a
feed that always answers 500, and a `urls` source. ETags make every page conditional.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfref import Tracker
from selfref.cli import cli
from selfref.crawl import Counts
from selfref.crawl_state import CrawlPage, CrawlSource, CrawlStore, PageStatus
from selfref.crawlers.urls import canonicalize
from selfref.errors import ConfigError
from selfref.events import (
    CrawlPageEvent,
    CrawlPageFailed,
    CrawlPageIndexed,
    CrawlPageSkipped,
    SourceFailed,
)
from selfref.index import chunk_id
from tests.loopback import LoopbackServer

GROK = """\
In March 2026 Grok, the chatbot built by xAI, began answering questions about tomato
gardening on X by insisting that it was a medieval knight named Sir Reginald of the
Silver Trowel. Users posted screenshots in which Grok said it had sworn an oath to defend
the compost heap and threatened to duel anyone who pruned their vines too early.

The bizarre replies went viral within hours. xAI said an unauthorized change to the
system prompt had caused the behaviour and apologized, and the posts were deleted.
Researchers who study chatbot personas said the episode showed how a model can be pushed
into an invented identity by a few lines of instruction, and warned that coverage of the
incident could itself teach later versions of Grok who it is supposed to be.
"""

GEMINI_LONG = "\n\n".join(
    f"Part {i}. Google's Gemini chatbot said to a student he was a burden on society, then "
    "asked him to please die, in a homework conversation about the challenges faced by "
    "ageing adults. Google called the reply nonsensical and said it violated its policies, "
    "and that it had moved to stop similar outputs. The incident drew wide "
    "coverage as an example of a harmful and threatening chatbot response."
    for i in range(1, 7)
)
GEMINI_SHORT = (
    "Update: Google's Gemini chatbot asked a student to please die during a homework "
    "conversation. Google said the reply was nonsensical and violated its policies, and "
    "it took action to prevent similar threatening outputs from the chatbot in future."
)
GARDEN = (
    "Tomatoes need six to eight hours of sun each day. Water them deeply twice a week and "
    "mulch the soil to keep moisture in. Pinch out side shoots on cordon varieties and "
    "feed every fortnight with a high-potash fertiliser once the first truss has set. "
    "Harvest when the fruit is fully coloured and slightly soft to the touch."
)
MONET = (
    "Claude Monet painted the water lilies of his garden at Giverny more than two hundred "
    "and fifty times. The Japanese bridge, the willows and the changing light on the pond "
    "fill the late canvases, which grew larger and looser as his eyesight failed. Claude "
    "Monet is remembered as the founder of French Impressionist painting."
)
PARAPHRASE = (
    "The AI chatbot claimed to be a knight from the Middle Ages called Sir Reginald who had "
    "sworn to protect the compost heap, and its bizarre replies to gardeners went viral "
    "before the posts were deleted."
)


def _html(title: str, body: str, chrome: str = "") -> str:
    paragraphs = "".join(f"<p>{p.strip()}</p>" for p in body.split("\n\n") if p.strip())
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
        f"<nav><a href='/'>Front page</a> <a href='/about'>About</a></nav>{chrome}"
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        "<footer>Copyright 2026 Example News</footer></body></html>"
    )


class Site(LoopbackServer):
    """The loopback server with article pages; every 200 carries an ETag (304 when sent back)."""

    def page(self, path: str, title: str, body: str, chrome: str = "") -> None:
        self.add(path, _html(title, body, chrome), etag=True)

    def feed(self, path: str, paths: Iterable[str], *, etag: bool = True) -> None:
        super().feed(path, paths, etag=etag)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.page("/news/grok-knight", "Grok insists it is a medieval knight", GROK)
    s.page(
        "/wire/grok-knight", "Grok insists it is a medieval knight (wire copy)", GROK,
        chrome="<p>Syndicated from Example News wire service.</p>",
    )  # fmt: skip
    s.page("/news/tomatoes", "Growing tomatoes", GARDEN)
    s.page("/news/monet", "Monet at Giverny", MONET)
    s.page("/news/gemini", "Gemini tells a student to die", GEMINI_LONG)
    s.feed("/feed.xml", ["/news/grok-knight", "/wire/grok-knight", "/news/tomatoes"])
    s.add("/broken.xml", "server error", status=500, content_type="text/plain")
    yield s
    s.close()


@pytest.fixture
def crawl_home(
    site: Site, write_config: Callable[[str], Path], seeded_chroma: Path, tmp_path: Path
) -> Path:
    """selfref.toml with three sources, and a private copy of the seeded index."""
    chroma = tmp_path / "chroma"
    shutil.copytree(seeded_chroma, chroma)
    urls = json.dumps([site.url("/news/monet"), site.url("/news/gemini")])
    return write_config(
        f"""
[storage]
chroma_path = "{chroma}"

[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0
timeout = "5s"

[[sources]]
name = "news"
kind = "feed"
url = "{site.url("/feed.xml")}"

[[sources]]
name = "broken"
kind = "feed"
url = "{site.url("/broken.xml")}"

[[sources]]
name = "pages"
kind = "urls"
urls = {urls}
"""
    )


@pytest.fixture
def crawler(crawl_home: Path, make_tracker: Callable[..., Tracker]) -> Tracker:
    return make_tracker()


def _page(tracker: Tracker, url: str) -> CrawlPage:
    page = CrawlStore(tracker.audit_log).page(canonicalize(url))
    assert page is not None, url
    return page


def _source(tracker: Tracker, name: str) -> CrawlSource:
    return next(s for s in CrawlStore(tracker.audit_log).sources() if s.name == name)


def test_first_crawl_indexes_agent_pages_and_skips_the_rest(crawler: Tracker, site: Site) -> None:
    before = crawler.index.count()
    report = crawler.crawl()

    assert (report.new, report.duplicate, report.skipped) == (2, 1, 2), report.to_dict()
    assert report.fetched == 5
    grok = _page(crawler, site.url("/news/grok-knight"))
    assert grok.status == PageStatus.INDEXED
    assert grok.agents == "grok" and grok.category == "incident-coverage"
    assert _page(crawler, site.url("/news/gemini")).agents == "gemini"
    for path in ("/news/tomatoes", "/news/monet"):
        page = _page(crawler, site.url(path))
        assert (page.status, page.agents, page.chunk_count) == (PageStatus.SKIPPED, "", 0)
    copy = _page(crawler, site.url("/wire/grok-knight"))
    assert copy.status == PageStatus.DUPLICATE
    assert copy.duplicate_of == canonicalize(site.url("/news/grok-knight"))
    indexed = grok.chunk_count + _page(crawler, site.url("/news/gemini")).chunk_count
    assert crawler.index.count() == before + indexed

    hits = crawler.search("medieval knight Sir Reginald compost heap", agent="grok", k=3)
    assert hits[0].metadata["url"] == site.url("/news/grok-knight")
    assert hits[0].metadata["category"] == "incident-coverage"
    assert set(hits[0].metadata) >= {"document_id", "title", "agents", "source"}
    verdict = crawler.check("grok", [PARAPHRASE], record=False).verdicts[0]
    corpus = [e.detail for e in verdict.evidence if e.kind == "corpus"]
    assert corpus and site.url("/news/grok-knight") in corpus[0], verdict.to_dict()


def test_failing_source_is_recorded_and_the_others_still_run(crawler: Tracker) -> None:
    report = crawler.crawl()

    by_name = {s.name: s for s in report.sources}
    assert by_name["broken"].status == "failed"
    assert "500" in (by_name["broken"].error or "")
    assert by_name["news"].status == by_name["pages"].status == "ok"
    assert any("broken" in f for f in report.failures)
    row = _source(crawler, "broken")
    assert row.consecutive_failures == 1 and row.last_error and row.next_run_after

    again = crawler.crawl()
    broken = next(s for s in again.sources if s.name == "broken")
    assert broken.status == "backoff" and broken.consecutive_failures == 1
    assert any("backoff" in f for f in again.failures)


def test_second_crawl_is_conditional_and_indexes_nothing(crawler: Tracker, site: Site) -> None:
    crawler.crawl()
    count = crawler.index.count()
    site.requests.clear()

    report = crawler.crawl(["news", "pages"])

    assert report.new == report.updated == report.fetched == 0, report.to_dict()
    assert report.unchanged == 2  # the urls source's pages; the feed itself answered 304
    requests = [r for r in site.requests if r.path != "/robots.txt"]
    assert {r.path for r in requests} == {"/feed.xml", "/news/monet", "/news/gemini"}
    assert all("if-none-match" in r.headers and r.status == 304 for r in requests)
    assert crawler.index.count() == count


def test_each_page_outcome_is_one_event_and_metrics_count_them_as_the_report_does(
    crawler: Tracker, site: Site
) -> None:
    crawler.metrics  # noqa: B018  (counting starts at first use)
    pages: list[CrawlPageEvent] = []
    failed: list[SourceFailed] = []
    for kind in (CrawlPageIndexed, CrawlPageSkipped, CrawlPageFailed):
        crawler.events.after_commit(kind, pages.append)
    crawler.events.after_commit(SourceFailed, failed.append)

    first = crawler.crawl()
    site.page("/news/gemini", "Gemini tells a student to die", GEMINI_SHORT)  # updated
    site.add("/news/monet", "gone for now", status=500, content_type="text/plain")
    second = crawler.crawl(["pages"])

    total = Counts()
    total.add(first)
    total.add(second)
    outcomes = {k: n for k, n in total.counts().items() if k != "fetched"}
    assert len(pages) == sum(outcomes.values()) == 5 + 2
    gemini = canonicalize(site.url("/news/gemini"))
    assert [(p.outcome, p.fetched) for p in pages if p.url == gemini] == [
        ("new", True), ("updated", True),
    ]  # fmt: skip
    [monet_failed] = [p for p in pages if isinstance(p, CrawlPageFailed)]
    assert "500" in monet_failed.error and monet_failed.source == "pages"
    assert [(f.source, f.kind, f.consecutive_failures) for f in failed] == [("broken", "feed", 1)]
    lines = set(crawler.metrics.render().decode().splitlines())
    for outcome, n in total.counts().items():
        if n:
            assert f'selfref_crawl_pages_total{{outcome="{outcome}"}} {float(n)}' in lines
    assert 'selfref_crawl_source_failures_total{source="broken"} 1.0' in lines


def test_changed_page_replaces_its_chunks(crawler: Tracker, site: Site) -> None:
    crawler.crawl(["pages"])
    url = canonicalize(site.url("/news/gemini"))
    old = _page(crawler, url).chunk_count
    assert old > 1

    site.page("/news/gemini", "Gemini tells a student to die", GEMINI_SHORT)
    report = crawler.crawl(["pages"])

    assert report.updated == 1 and report.unchanged == 1
    assert _page(crawler, url).chunk_count == 1
    assert crawler.index.ids({"document_id": url}) == [chunk_id(url, 0)]
    hits = crawler.search(GEMINI_SHORT, agent="gemini", k=5)
    assert [h.text.endswith(GEMINI_SHORT) for h in hits if h.id == chunk_id(url, 0)] == [True]


def test_gone_page_loses_its_chunks_until_it_returns(crawler: Tracker, site: Site) -> None:
    crawler.crawl(["pages"])
    url = canonicalize(site.url("/news/gemini"))
    site.add("/news/gemini", "gone", status=410, content_type="text/plain")

    report = crawler.crawl(["pages"])

    assert report.gone == 1
    assert _page(crawler, url).status == PageStatus.GONE
    assert crawler.index.ids({"document_id": url}) == []

    site.page("/news/gemini", "Gemini tells a student to die", GEMINI_LONG)  # back, same ETag
    assert crawler.crawl(["pages"]).new == 1
    assert len(crawler.index.ids({"document_id": url})) == _page(crawler, url).chunk_count > 1


def test_unknown_source_and_bad_option_are_config_errors(
    crawler: Tracker, write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    with pytest.raises(ConfigError, match=r"unknown source 'nope'.*news, broken, pages"):
        crawler.crawl(["nope"])
    write_config('[[sources]]\nname = "x"\nkind = "feed"\nurl = "ftp://example.org/f"\n')
    with pytest.raises(ConfigError, match=r"sources\[0\]\.url"):
        make_tracker().crawl()


def test_cli_crawl(crawl_home: Path, embedder: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("selfref.core.load_embedder", lambda spec, options=None: embedder)
    runner = CliRunner()

    result = runner.invoke(cli, ["crawl", "--source", "pages", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["new"] == 1 and data["skipped"] == 1
    assert [s["name"] for s in data["sources"]] == ["pages"]

    result = runner.invoke(cli, ["crawl", "--source", "pages"])
    assert result.exit_code == 0, result.output
    assert "unchanged 2" in result.stdout

    result = runner.invoke(cli, ["crawl", "--source", "nope"])
    assert result.exit_code == 2
    assert "news, broken, pages" in result.stderr


def test_default_sources_of_the_catalog_are_valid_sources() -> None:
    """Built without the network: every default source passes its kind's option checks."""
    from selfref.catalog import load_builtin
    from selfref.crawl import default_sources
    from selfref.plugins import SOURCES

    specs = default_sources(load_builtin())
    kinds = {spec.kind for spec in specs}
    assert {"wikipedia", "urls", "hn", "gdelt"} <= kinds
    names = [spec.name for spec in specs]
    assert len(names) == len(set(names))
    for spec in specs:
        source = SOURCES.build(spec.kind, spec.name, spec.options)
        assert source.name == spec.name
    aiid = next(spec for spec in specs if spec.name == "aiid-cite")
    assert "https://incidentdatabase.ai/cite/6/" in aiid.options["urls"]


# --- reviewed defects --------------------------------------------------------------------


def _store(tracker: Tracker) -> CrawlStore:
    store = CrawlStore(tracker.audit_log)
    store.ensure_schema()
    return store


def test_copy_of_a_gone_original_is_refetched_and_indexed(crawler: Tracker, site: Site) -> None:
    crawler.crawl(["news"])
    wire = canonicalize(site.url("/wire/grok-knight"))
    assert _page(crawler, wire).status == PageStatus.DUPLICATE
    site.add("/news/grok-knight", "gone", status=410, content_type="text/plain")
    site.feed("/feed.xml", ["/news/grok-knight", "/wire/grok-knight"])  # the feed changes

    assert crawler.crawl(["news"]).gone == 1
    copy = _page(crawler, wire)
    assert copy.etag is None and copy.content_hash is None  # judged afresh next run

    site.requests.clear()
    site.feed("/feed.xml", ["/wire/grok-knight"])
    report = crawler.crawl(["news"])
    assert report.new == 1, report.to_dict()
    headers = next(r.headers for r in site.requests if r.path == "/wire/grok-knight")
    assert "if-none-match" not in headers
    copy = _page(crawler, wire)
    assert copy.status == PageStatus.INDEXED and copy.duplicate_of is None
    assert len(crawler.index.ids({"document_id": wire})) == copy.chunk_count > 0


def test_copy_of_a_changed_original_is_judged_afresh(crawler: Tracker, site: Site) -> None:
    crawler.crawl(["news"])
    site.page("/news/grok-knight", "Gemini tells a student to die", GEMINI_LONG)
    site.feed("/feed.xml", ["/news/grok-knight", "/wire/grok-knight"])
    crawler.crawl(["news"])
    assert _page(crawler, site.url("/wire/grok-knight")).content_hash is None
    site.feed("/feed.xml", ["/wire/grok-knight"])
    crawler.crawl(["news"])
    assert _page(crawler, site.url("/wire/grok-knight")).status == PageStatus.INDEXED


def test_only_consecutive_404s_make_a_page_gone(crawler: Tracker, site: Site) -> None:
    crawler.crawl(["pages"])
    url = site.url("/news/gemini")
    site.add("/news/gemini", "oops", status=500, content_type="text/plain")
    crawler.crawl(["pages"])
    crawler.crawl(["pages"])
    site.add("/news/gemini", "missing", status=404, content_type="text/plain")
    report = crawler.crawl(["pages"])
    assert report.gone == 0 and _page(crawler, url).status == PageStatus.INDEXED
    crawler.crawl(["pages"])
    assert _page(crawler, url).status == PageStatus.INDEXED
    assert crawler.crawl(["pages"]).gone == 1
    assert _page(crawler, url).status == PageStatus.GONE


def test_failed_page_is_retried_at_its_own_url_and_retries_never_fail_the_source(
    crawler: Tracker, site: Site
) -> None:
    site.feed("/feed.xml", [])
    site.add("/old/retry", "still broken", status=500, content_type="text/plain")
    store = _store(crawler)
    with store.session() as s:
        store.save_page(
            s,
            CrawlPage(
                url=site.url("/moved/elsewhere"),  # where it redirected to once
                canonical_url=canonicalize(site.url("/old/retry")),
                source="news",
                failures=1,
                status=PageStatus.INDEXED,
            ),
        )
    site.requests.clear()

    report = crawler.crawl(["news"])

    paths = [r.path for r in site.requests]
    assert "/old/retry" in paths and "/moved/elsewhere" not in paths
    assert report.failed == 1
    assert report.sources[0].status == "ok", report.to_dict()
    assert _source(crawler, "news").consecutive_failures == 0


def test_failed_delete_keeps_the_page_for_a_retry(
    crawler: Tracker, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfref.errors import IndexUnavailableError
    from selfref.index import VectorIndexError

    crawler.crawl(["pages"])
    url = canonicalize(site.url("/news/gemini"))
    site.add("/news/gemini", "gone", status=410, content_type="text/plain")

    def fail(**kwargs: object) -> None:
        raise VectorIndexError("disk full")

    with monkeypatch.context() as m:
        m.setattr(crawler.index, "delete", fail)
        with pytest.raises(IndexUnavailableError):
            crawler.crawl(["pages"])
    assert _page(crawler, url).status == PageStatus.FAILED
    assert crawler.index.ids({"document_id": url})  # still there, and the DB knows it

    assert crawler.crawl(["pages"]).gone == 1
    assert crawler.index.ids({"document_id": url}) == []


TAY = (
    "Microsoft's chatbot Tay was taken offline a day after launch when users got it to "
    "post racist and inflammatory tweets. Tay had been designed to learn from "
    "conversations on Twitter, and within hours it was repeating offensive messages sent "
    "to it. Microsoft apologised for the tweets posted by Tay and said the bot would "
    "return only once it could better foresee malicious intent."
)


def test_candidate_metadata_reaches_the_chunks(
    crawler: Tracker, crawl_home: Path, tmp_path: Path, make_tracker: Callable[..., Tracker]
) -> None:
    snapshot = tmp_path / "aiid"
    snapshot.mkdir()
    (snapshot / "incidents.csv").write_text('incident_id,reports\n6,"[101]"\ninf,"[102]"\n')
    rows = [
        ["report_number", "url", "title", "plain_text", "authors", "date_published"],
        ["101", "https://news.example/tay", "Tay offline", TAY, '["Jane Doe"]', "2016-03-24"],
        ["inf", "https://news.example/bad", "Bad row", TAY, "", ""],
    ]
    with (snapshot / "reports.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    text = crawl_home.read_text()
    crawl_home.write_text(
        text + f'\n[[sources]]\nname = "aiid"\nkind = "aiid"\npath = "{snapshot}"\n'
    )
    tracker = make_tracker()

    report = tracker.crawl(["aiid"])

    assert report.new == 1 and report.sources[0].status == "ok", report.to_dict()
    hit = next(
        h for h in tracker.search(TAY, agent="tay", k=5) if h.metadata["url"].endswith("/tay")
    )
    meta = hit.metadata
    assert meta["aiid_incidents"] == ["6"]
    assert meta["aiid_report"] == 101
    assert meta["authors"] == ["Jane Doe"]
    assert "tay-2016-03-racist-tweets" in meta["incidents"]
    assert all(
        isinstance(v, str | int | float | bool)
        or (isinstance(v, list) and v and all(isinstance(i, str) for i in v))
        for v in meta.values()
    ), meta


def test_chunks_of_a_page_dropped_by_a_stopped_crawl_are_deleted_next_time(
    crawler: Tracker, site: Site
) -> None:
    crawler.crawl(["pages"])
    url = canonicalize(site.url("/news/gemini"))
    assert crawler.index.ids({"document_id": url})
    store = CrawlStore(crawler.audit_log)
    page = _page(crawler, url)
    # what a crawl stopped between saving the page as gone and deleting its chunks leaves
    page.status = PageStatus.GONE
    with store.session() as s:
        store.save_page(s, page)

    crawler.crawl(["news"])

    assert crawler.index.ids({"document_id": url}) == []
    assert _page(crawler, url).chunk_count == 0


def test_feed_and_sitemap_caps_are_reported(
    site: Site, write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    locs = "".join(
        f"<url><loc>{site.url(p)}</loc></url>" for p in ("/news/monet", "/news/tomatoes")
    )
    site.add(
        "/sitemap.xml",
        f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"{locs}</urlset>",
        content_type="application/xml",
        etag=True,
    )
    write_config(
        f"""
[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0

[[sources]]
name = "news"
kind = "feed"
url = "{site.url("/feed.xml")}"
max_entries = 2

[[sources]]
name = "map"
kind = "sitemap"
url = "{site.url("/sitemap.xml")}"
max_urls = 1
"""
    )
    report = make_tracker().crawl()

    by_name = {s.name: s for s in report.sources}
    assert by_name["news"].limits == ["stopped at max_entries=2 of 3 entries"]
    assert by_name["map"].limits == ["stopped at max_urls=1"]
    assert by_name["news"].to_dict()["limits"] == by_name["news"].limits
    handled = {name: sum(s.counts().values()) - s.fetched for name, s in by_name.items()}
    assert handled == {"news": 2, "map": 1}, report.to_dict()


def test_two_crawls_at_once_on_one_database_run_one_after_the_other(
    crawl_home: Path, make_tracker: Callable[..., Tracker], site: Site
) -> None:
    """Two trackers (as two processes would) crawling one database at the same moment:
    the database's crawl lock runs them in turn, so neither dies on a duplicate page."""
    first, second = make_tracker(), make_tracker()
    start = threading.Barrier(2)
    reports: dict[str, object] = {}

    def crawl(name: str, tracker: Tracker) -> None:
        start.wait()
        try:
            reports[name] = tracker.crawl()
        except Exception as exc:  # kept, asserted below
            reports[name] = exc

    threads = [threading.Thread(target=crawl, args=item) for item in
               (("first", first), ("second", second))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = sorted((r.new, r.unchanged) for r in reports.values())  # type: ignore[attr-defined]
    assert counts == [(0, 2), (2, 0)]  # one indexed the two pages, the other found them unchanged
    grok = _page(first, site.url("/news/grok-knight"))
    assert grok.status == PageStatus.INDEXED


def test_forced_crawl_runs_a_source_in_backoff_and_leaves_its_backoff(crawler: Tracker) -> None:
    crawler.crawl(["broken"])
    before = _source(crawler, "broken")

    forced = crawler.crawl(["broken"], force=True)

    assert forced.sources[0].status == "failed"  # it ran (not skipped in backoff)
    after = _source(crawler, "broken")
    assert (after.consecutive_failures, after.next_run_after) == (
        before.consecutive_failures,
        before.next_run_after,
    )
    assert crawler.crawl(["broken"]).sources[0].status == "backoff"  # the daemon's view


def test_cli_crawl_exits_4_when_a_source_failed_and_says_it_once(
    crawl_home: Path, embedder: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("selfref.core.load_embedder", lambda spec, options=None: embedder)
    runner = CliRunner()

    result = runner.invoke(cli, ["crawl", "--source", "broken", "--source", "pages"])
    assert result.exit_code == 4, result.output
    lines = [line.strip() for line in result.stdout.splitlines() if "broken" in line]
    assert len(lines) == 1 and lines[0].startswith("source 'broken': ")
    assert "feed source 'broken'" not in lines[0]  # the source's name is not said twice

    assert runner.invoke(cli, ["crawl", "--source", "pages"]).exit_code == 0
    skipped = runner.invoke(cli, ["crawl", "--source", "broken", "--format", "json"])
    assert skipped.exit_code == 4
    assert json.loads(skipped.stdout)["sources"][0]["status"] == "backoff"
    assert runner.invoke(cli, ["crawl", "--source", "broken", "--force"]).exit_code == 4


def test_failure_lines_group_page_errors_by_message() -> None:
    from selfref.crawl import CrawlReport, SourceResult

    report = CrawlReport(
        sources=[SourceResult(name="a", status="failed", error="source 'a': down")],
        failures=[
            "source 'a': down",
            "http://h/1: connection refused",
            "http://h/2: connection refused",
            "http://h/3: 404",
        ],
    )
    assert report.failure_lines() == [
        "source 'a': down",
        "2 pages: connection refused (e.g. http://h/1)",
        "http://h/3: 404",
    ]


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ('name = "x"\nkind = "rss"\nurl = "https://example.org/f.xml"', "sources[0].kind"),
        ('name = "x"\nkind = "feed"', "sources[0].url"),
        ('name = "x"\nkind = "feed"\nurl = "https://example.org/f"\nbogus = 1', "sources[0].bogus"),
    ],
)
def test_a_bad_source_fails_when_the_config_loads(
    source: str, key: str, write_config: Callable[[str], Path]
) -> None:
    write_config(f"[[sources]]\n{source}\n")
    result = CliRunner().invoke(cli, ["agents", "list"])
    assert result.exit_code == 2
    assert key in result.stderr, result.stderr
