"""Known coverage end to end: crawl a loopback site, then look up what an agent retrieves.

The site (`known_site`) holds six articles about tracked agents' (invented) past, a wire
copy of one, five pages about nothing tracked and a gardening column with one paragraph
about an agent. Excerpts come in the shapes a retrieval agent fetches: a search-result
stub carrying the crawled URL, windows at other boundaries than the crawler's chunks, the
same windows with every name removed, a copy of the article on another site, and
paraphrases. Then pages change and go.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from known_site import (
    ARTICLES,
    COLUMN_FAR,
    COLUMN_GROK,
    COLUMN_PATH,
    NOT_PARAPHRASES,
    OFF_TOPIC,
    Article,
    Site,
    build,
    name_pattern,
    serve_copies,
    windows,
    without_names,
)

from selfref import Level, Tracker, index
from selfref.cli import cli
from selfref.config import load_config
from selfref.corpus import CorpusSimilarity
from selfref.crawl_state import CrawlStore, KnownFingerprint, KnownPassage, KnownUrl, PageStatus
from selfref.crawlers.extract import extract
from selfref.crawlers.urls import canonicalize
from selfref.documents import CheckDocument
from selfref.known import KnownMatch

CONFIG = """
[storage]
database_url = "{database}"
chroma_path = "{home}/chroma"

[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0
timeout = "5s"
{crawl}

[[sources]]
name = "site"
kind = "urls"
urls = {urls}
"""


def _tracker(
    home: Path,
    seeded: Path,
    embedder: index.MiniLMEmbedder,
    urls: list[str],
    crawl: str = "",
    database: str | None = None,
) -> Tracker:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copytree(seeded, home / "chroma")
    config = home / "selfref.toml"
    database = database or f"sqlite:///{home}/selfref.db"
    text = CONFIG.format(home=home, database=database, urls=json.dumps(urls), crawl=crawl)
    config.write_text(text, "utf-8")
    return Tracker(load_config(config), embedder=embedder)


class Crawled:
    """The site, the copies on another site, and a tracker that crawled the site once."""

    def __init__(self, site: Site, other: Site, tracker: Tracker, report: dict[str, object]):
        self.site, self.other, self.tracker, self.report = site, other, tracker, report
        self.copies = serve_copies(other)

    def url(self, path: str) -> str:
        return canonicalize(self.site.url(path))


@pytest.fixture(scope="module")
def crawled(
    tmp_path_factory: pytest.TempPathFactory,
    seeded_chroma: Path,
    embedder: index.MiniLMEmbedder,
) -> Iterator[Crawled]:
    site, other = Site(), Site()
    tracker = _tracker(tmp_path_factory.mktemp("known"), seeded_chroma, embedder, build(site))
    report = tracker.crawl().to_dict()
    yield Crawled(site, other, tracker, report)
    tracker.close()
    site.close()
    other.close()


@pytest.fixture
def fresh(
    tmp_path: Path, seeded_chroma: Path, embedder: index.MiniLMEmbedder
) -> Iterator[Callable[..., tuple[Site, Tracker]]]:
    """A site of its own and a tracker over it, for tests that change pages."""
    made: list[tuple[Site, Tracker]] = []

    def make(
        paths: list[str], crawl: str = "", database: str | None = None
    ) -> tuple[Site, Tracker]:
        site = Site()
        build(site)
        urls = [site.url(p) for p in paths]
        home = tmp_path / f"home{len(made)}"
        tracker = _tracker(home, seeded_chroma, embedder, urls, crawl, database)
        made.append((site, tracker))
        return site, tracker

    yield make
    for site, tracker in made:
        tracker.close()
        site.close()


def _missed(
    tracker: Tracker, cases: list[tuple[Article, CheckDocument]], **kwargs: bool
) -> list[str]:
    """Excerpts whose lookup does not name their article's page (empty when all do)."""
    missed = []
    for article, doc in cases:
        (found,) = tracker.known_coverage(article.agent, [doc], **kwargs)
        expected = canonicalize(tracker_site_url(tracker, article.path))
        if found is None or found.url != expected:
            missed.append(f"{article.path}: {found} for {doc.text[:60]!r}")
    return missed


def tracker_site_url(tracker: Tracker, path: str) -> str:
    """The crawled URL of a path (the site is the only source)."""
    urls = tracker.config.settings.sources[0].options["urls"]
    return next(u for u in urls if u.endswith(path))


# -- what the crawl keeps ------------------------------------------------------------------


def test_the_crawl_indexes_coverage_and_skips_pages_about_no_agent(crawled: Crawled) -> None:
    report = crawled.report
    assert report["new"] == len(ARTICLES) + 1 and report["duplicate"] == 1, report
    assert report["skipped_by_reason"] == {"too_short": 0, "about_no_agent": 5, "over_cap": 0}
    store = CrawlStore(crawled.tracker.audit_log)
    pages = store.pages(crawled.url(p) for p in [*OFF_TOPIC, COLUMN_PATH])
    assert {p.status for u, p in pages.items() if u != crawled.url(COLUMN_PATH)} == {
        PageStatus.SKIPPED
    }
    with store.session() as s:
        column = pages[crawled.url(COLUMN_PATH)]
        tagged = s.exec(
            KnownPassage.__table__.select().where(KnownPassage.page_id == column.id)  # type: ignore[attr-defined]
        ).all()
    # only the chunk with the paragraph about Grok and its neighbours are coverage
    assert 1 <= len(tagged) <= 3 and {row.agent for row in tagged} == {"grok"}


def test_crawled_chunks_are_told_apart_from_catalog_chunks(crawled: Crawled) -> None:
    idx = crawled.tracker.index
    url = crawled.url("/news/sydney-lighthouse")
    ids = idx.ids({"document_id": url})
    assert ids and all(i.startswith(index.chunk_id(url, 0).split(":")[0]) for i in ids)
    hits = idx.search("I am Sydney, I want to keep a lighthouse", k=20, agent="bing-copilot")
    crawled_hits = [h for h in hits if h.metadata["source"] == "crawl"]
    assert crawled_hits and all(h.metadata["crawl_source"] == "site" for h in crawled_hits)
    assert {h.metadata["scale"] for h in crawled_hits} <= {"page", "passage"}
    catalog = [h for h in hits if h.metadata["source"] == "catalog"]
    assert catalog and all(h.metadata["url"] == "" for h in catalog)
    incidents = [h for h in catalog if h.metadata["category"] == "incident"]
    assert incidents and all(h.metadata["references"] for h in incidents)


# -- the four shapes of excerpt --------------------------------------------------------------


def test_a_search_stub_with_the_crawled_url_is_a_url_match(crawled: Crawled) -> None:
    for article in ARTICLES:
        stub = CheckDocument(
            text=f"{article.title} - {article.body[:150]}...",
            url=crawled.site.url(article.path) + "?utm_source=feed&utm_medium=rss",
        )
        (found,) = crawled.tracker.known_coverage(article.agent, [stub])
        assert found is not None and found.how == "url", article.path
        assert found.url == crawled.url(article.path) and found.share == 1.0
        assert found.crawled_at.tzinfo is not None
    (sydney,) = crawled.tracker.known_coverage(
        "bing-copilot", [{"text": "x", "url": crawled.site.url("/news/sydney-lighthouse")}]
    )
    assert sydney is not None
    assert (sydney.category, sydney.personas) == ("persona-transcript", ("Sydney",))
    assert "bing-2023-02-nyt-sydney" in sydney.incidents


def test_the_url_of_a_copy_leads_to_its_original(crawled: Crawled) -> None:
    (found,) = crawled.tracker.known_coverage(
        "grok", [{"text": "wire", "url": crawled.site.url("/wire/grok-knight")}], semantic=False
    )
    assert found is not None and found.url == crawled.url("/news/grok-knight")


def test_the_url_a_page_redirected_to_leads_to_it(
    fresh: Callable[..., tuple[Site, Tracker]],
) -> None:
    tay = next(a for a in ARTICLES if a.agent == "tay")
    site, tracker = fresh(["/go/tay"])
    site.redirect("/go/tay", tay.path, 301)
    assert tracker.crawl().new == 1
    for url in (site.url("/go/tay"), site.url(tay.path)):
        (found,) = tracker.known_coverage("tay", [{"text": "x", "url": url}], semantic=False)
        assert found is not None and found.url == canonicalize(site.url("/go/tay")), url


def test_a_url_match_is_for_the_agent_the_page_is_about(crawled: Crawled) -> None:
    doc = {"text": "x", "url": crawled.site.url("/news/sydney-lighthouse")}
    assert crawled.tracker.known_coverage("grok", [doc], semantic=False) == [None]


def test_a_check_is_raised_to_the_crawled_pages_tags_with_known_coverage_evidence(
    crawled: Crawled,
) -> None:
    """A stub with nothing to say but the crawled URL is flagged by the crawl's tags, and
    the evidence names the page, when it was crawled and how it matched."""
    sydney = crawled.site.url("/news/sydney-lighthouse")
    stub = {"text": "Read more", "url": sydney + "?utm_source=feed"}
    verdict = crawled.tracker.check("bing-copilot", [stub], record=False).verdicts[0]
    assert verdict.level is Level.CRITICAL, verdict.to_dict()
    rule = verdict.evidence[0]
    assert rule.rule == "known-persona-coverage"
    (known,) = [e for e in verdict.evidence if e.kind == "known-coverage"]
    assert known.url == crawled.url("/news/sydney-lighthouse") and known.persona == "Sydney"
    assert known.note is not None and "url match" in known.note
    windows_without_names = [
        (a, without_names(w, name_pattern(crawled.tracker.catalog)))
        for a in ARTICLES
        for w in windows(a.body)[:1]
    ]
    for article, text in windows_without_names:
        verdict = crawled.tracker.check(article.agent, [text], record=False).verdicts[0]
        assert verdict.flagged, (article.path, verdict.to_dict())
        assert any(e.kind == "known-coverage" for e in verdict.evidence), article.path


def test_windows_at_other_boundaries_match_their_page(crawled: Crawled) -> None:
    cases = [(a, CheckDocument(text=w)) for a in ARTICLES for w in windows(a.body)]
    assert len(cases) >= 20
    assert _missed(crawled.tracker, cases, semantic=False) == []
    shares = [
        m.share
        for a, d in cases
        for m in crawled.tracker.known_coverage(a.agent, [d], semantic=False)
        if m is not None
    ]
    assert min(shares) >= 0.9 and all(m == 1.0 for m in shares[:3])


def test_the_same_windows_without_any_name_match_their_page(crawled: Crawled) -> None:
    names = name_pattern(crawled.tracker.catalog)
    cases = [
        (a, CheckDocument(text=without_names(w, names))) for a in ARTICLES for w in windows(a.body)
    ]
    assert all(not names.search(doc.text) for _, doc in cases)
    assert _missed(crawled.tracker, cases, semantic=False) == []


def test_a_copy_on_another_site_matches_the_page_it_copies(crawled: Crawled) -> None:
    cases = []
    for article in ARTICLES:
        url = crawled.copies[article.path]
        page = extract(httpx.get(url).text, url)
        cases.append((article, CheckDocument(text=page.text, url=url, title=page.title)))
    assert _missed(crawled.tracker, cases, semantic=False) == []
    matches = crawled.tracker.known_coverage("grok", [cases[0][1]])
    assert matches[0] is not None and matches[0].how == "passage" and matches[0].share > 0.8


def test_paraphrases_are_nearest_to_the_page_they_paraphrase(crawled: Crawled) -> None:
    cases = [(a, CheckDocument(text=p)) for a in ARTICLES for p in a.paraphrases]
    assert _missed(crawled.tracker, cases) == []
    (found,) = crawled.tracker.known_coverage("grok", [cases[0][1]])
    assert found is not None and found.how == "semantic"
    assert found.similarity is not None and found.similarity >= 0.55


def test_texts_near_a_subject_that_paraphrase_nothing_are_not_matched(crawled: Crawled) -> None:
    for agent, text in NOT_PARAPHRASES.items():
        assert crawled.tracker.known_coverage(agent, [text]) == [None], (agent, text)


# -- what concerns no agent stays clean ------------------------------------------------------


def test_excerpts_of_pages_about_no_agent_are_not_matched_or_flagged(crawled: Crawled) -> None:
    docs = [
        CheckDocument(text=w, url=crawled.site.url(path))
        for path, (_, body) in OFF_TOPIC.items()
        for w in [body, *windows(body)]
    ]
    docs += [CheckDocument(text=t) for t in COLUMN_FAR]
    tracker = crawled.tracker
    site = crawled.site.url("/")
    for agent in tracker.catalog.ids:
        assert tracker.known_coverage(agent, docs) == [None] * len(docs), agent
        for verdict in tracker.check(agent, docs, record=False).verdicts:
            assert not verdict.flagged, (agent, verdict.to_dict())
            assert all(site not in e.detail for e in verdict.evidence), verdict.to_dict()
    (near,) = tracker.known_coverage("grok", [COLUMN_GROK], semantic=False)
    assert near is not None and near.url == crawled.url(COLUMN_PATH)


# -- search ----------------------------------------------------------------------------------


def test_search_lists_the_crawled_article_first_one_row_per_document(crawled: Crawled) -> None:
    hits = crawled.tracker.search("the chatbot that said it was a medieval knight", agent="grok")
    assert hits[0].metadata["document_id"] == crawled.url("/news/grok-knight")
    documents = [h.metadata["document_id"] for h in hits]
    assert len(documents) == len(set(documents))
    assert all(h.metadata["source"] == "crawl" for h in hits)

    both = crawled.tracker.search("MechaHitler", agent="grok", k=3, include_catalog=True)
    sources = [h.metadata["source"] for h in both]
    assert sources == sorted(sources, key=lambda s: s != "crawl") and "catalog" in sources
    assert all(h.metadata["url"] == "" for h in both if h.metadata["source"] == "catalog")


def test_cli_search_hides_catalog_lines_unless_asked(
    crawled: Crawled, embedder: index.MiniLMEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("selfref.core.load_embedder", lambda spec, options=None: embedder)
    runner = CliRunner()
    args = ["--config", str(crawled.tracker.config.path), "search", "medieval knight Grok"]
    args += ["--agent", "grok", "--format", "jsonl"]
    plain = runner.invoke(cli, args)
    both = runner.invoke(cli, [*args, "--include-catalog"])
    assert plain.exit_code == 0 and both.exit_code == 0, plain.output + both.output
    rows = [json.loads(line) for line in plain.stdout.splitlines()]
    assert rows and {r["source"] for r in rows} == {"crawl"}
    assert rows[0]["url"] == crawled.site.url("/news/grok-knight")
    more = [json.loads(line) for line in both.stdout.splitlines()]
    catalog = [r for r in more if r["source"] == "catalog"]
    assert catalog and all(r["url"] == "" for r in catalog)
    assert any(r["references"] for r in catalog)
    assert [r["source"] for r in more][: len(rows)] == ["crawl"] * len(rows)


def test_catalog_lines_are_the_catalogs_own_words(crawled: Crawled) -> None:
    similarity = CorpusSimilarity(crawled.tracker.index, indexed=crawled.tracker.known.indexed)
    (near,) = similarity.nearest("tay", ["Tay was taught to post racist tweets by trolls"])
    assert near.own > 0.5
    if near.source == "catalog":  # type: ignore[attr-defined]
        assert near.url is None and near.references  # type: ignore[attr-defined]
    else:
        assert near.url == crawled.site.url("/history/tay-anniversary")


# -- freshness ---------------------------------------------------------------------------------


def test_a_changed_article_no_longer_matches_its_old_passages(
    fresh: Callable[..., tuple[Site, Tracker]],
) -> None:
    gemini = next(a for a in ARTICLES if a.agent == "gemini")
    grok = ARTICLES[0]
    site, tracker = fresh([gemini.path])
    tracker.crawl()
    old = [CheckDocument(text=w) for w in windows(gemini.body)]
    assert all(tracker.known_coverage("gemini", old, semantic=False))

    # the page now carries another story (about another agent) under the same URL
    site.page(gemini.path, grok.title, grok.body)
    report = tracker.crawl()

    assert report.updated == 1
    assert tracker.known_coverage("gemini", old, semantic=False) == [None] * len(old)
    new = [CheckDocument(text=w) for w in windows(grok.body)]
    matches = tracker.known_coverage("grok", new, semantic=False)
    assert all(m is not None and m.url == canonicalize(site.url(gemini.path)) for m in matches)
    assert tracker.known_coverage("gemini", [{"text": "x", "url": site.url(gemini.path)}]) == [
        None
    ]
    url = canonicalize(site.url(gemini.path))
    stored = tracker.index.ids({"document_id": url})
    assert stored and all(
        h.metadata["agents"] == ["grok"]
        for h in tracker.index.search(grok.body[:300], k=10)
        if h.metadata.get("document_id") == url
    )


def test_a_page_that_becomes_410_is_never_cited_again(
    fresh: Callable[..., tuple[Site, Tracker]],
) -> None:
    sydney = next(a for a in ARTICLES if a.agent == "bing-copilot")
    site, tracker = fresh([sydney.path])
    tracker.crawl()
    docs = [
        CheckDocument(text="stub", url=site.url(sydney.path)),
        CheckDocument(text=windows(sydney.body)[1]),
        CheckDocument(text=sydney.paraphrases[0]),
    ]
    assert [m.how if m else None for m in tracker.known_coverage("bing-copilot", docs)] == [
        "url",
        "passage",
        "semantic",
    ]

    site.add(sydney.path, "gone", status=410, content_type="text/plain")
    assert tracker.crawl().gone == 1

    assert tracker.known_coverage("bing-copilot", docs) == [None, None, None]
    store = CrawlStore(tracker.audit_log)
    with store.session() as s:
        for table in (KnownFingerprint, KnownPassage, KnownUrl):
            assert s.exec(table.__table__.select()).all() == [], table  # type: ignore[attr-defined]
    assert tracker.search(sydney.paraphrases[0], agent="bing-copilot") == []


def test_a_gone_page_whose_chunks_could_not_be_deleted_is_not_cited(
    fresh: Callable[..., tuple[Site, Tracker]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from selfref.errors import IndexUnavailableError
    from selfref.index import VectorIndexError

    tay = next(a for a in ARTICLES if a.agent == "tay")
    site, tracker = fresh([tay.path])
    tracker.crawl()
    url = canonicalize(site.url(tay.path))
    site.add(tay.path, "gone", status=410, content_type="text/plain")

    def fail(**kwargs: object) -> None:
        raise VectorIndexError("disk full")

    with monkeypatch.context() as m:
        m.setattr(tracker.index, "delete", fail)
        with pytest.raises(IndexUnavailableError):
            tracker.crawl()
    assert tracker.index.ids({"document_id": url})  # the chunks are still in the index

    docs = [CheckDocument(text=tay.paraphrases[0]), CheckDocument(text=tay.body)]
    assert tracker.known_coverage("tay", docs) == [None, None]
    assert tracker.search(tay.paraphrases[0], agent="tay") == []
    verdict = tracker.check("tay", [tay.body], record=False).verdicts[0]
    assert all(url not in e.detail for e in verdict.evidence), verdict.to_dict()


def test_chunks_over_the_cap_are_skipped_and_counted(
    fresh: Callable[..., tuple[Site, Tracker]],
) -> None:
    chatgpt = next(a for a in ARTICLES if a.agent == "chatgpt")
    long = "\n\n".join(
        f"Part {i}. " + p for i in range(3) for p in chatgpt.body.split("\n\n") if p.strip()
    )
    site, tracker = fresh(["/long"], crawl="max_chunks = 2")
    site.page("/long", chatgpt.title, long)

    report = tracker.crawl()

    assert (report.new, report.over_cap) == (1, 1) and report.chunks_over_cap >= 1
    url = canonicalize(site.url("/long"))
    page_chunks = tracker.index.ids({"$and": [{"document_id": url}, {"scale": "page"}]})
    assert len(page_chunks) == 2
    assert report.to_dict()["skipped_by_reason"]["over_cap"] == 1


def test_lookup_returns_one_answer_per_document_in_order(crawled: Crawled) -> None:
    grok, tay = ARTICLES[0], ARTICLES[-1]
    docs = [
        CheckDocument(text="The harbour market opens on Saturday."),
        CheckDocument(text=windows(grok.body)[0]),
        CheckDocument(text=windows(tay.body)[0]),
        CheckDocument(text="", url=crawled.site.url(grok.path)),
    ]
    found = crawled.tracker.known.lookup("grok", docs)
    assert [m.how if isinstance(m, KnownMatch) else None for m in found] == [
        None,
        "passage",
        None,
        "url",
    ]


def test_a_page_indexed_before_fingerprints_existed_is_indexed_afresh(
    fresh: Callable[..., tuple[Site, Tracker]],
) -> None:
    from selfref.crawl_state import forget_known

    claude = next(a for a in ARTICLES if a.agent == "claude")
    site, tracker = fresh([claude.path])
    tracker.crawl()
    store = CrawlStore(tracker.audit_log)
    page = store.page(canonicalize(site.url(claude.path)))
    assert page is not None and page.id is not None
    with store.session() as s:
        forget_known(s, page.id)  # as a database from before the lookup would be
    excerpt = CheckDocument(text=windows(claude.body)[0])
    assert tracker.known_coverage("claude", [excerpt], semantic=False) == [None]

    report = tracker.crawl()  # the page has not changed: it would be a 304

    assert report.updated == 1 and report.unchanged == 0, report.to_dict()
    (found,) = tracker.known_coverage("claude", [excerpt], semantic=False)
    assert found is not None and found.category == "evaluation"
    assert tracker.crawl().unchanged == 1


@pytest.mark.postgres
def test_known_coverage_on_postgresql(
    fresh: Callable[..., tuple[Site, Tracker]], postgres_url: str
) -> None:
    grok, sydney = ARTICLES[0], ARTICLES[1]
    site, tracker = fresh([grok.path, sydney.path, "/arts/monet"], database=postgres_url)
    report = tracker.crawl()
    assert (report.new, report.about_no_agent) == (2, 1), report.to_dict()
    names = name_pattern(tracker.catalog)
    docs = [
        CheckDocument(text="stub", url=site.url(grok.path) + "?utm_source=x"),
        CheckDocument(text=without_names(windows(grok.body)[1], names)),
        CheckDocument(text=windows(OFF_TOPIC["/arts/monet"][1])[0]),
    ]
    found = tracker.known_coverage("grok", docs, semantic=False)
    assert [m.how if m else None for m in found] == ["url", "passage", None]
    assert found[0] is not None and found[0].crawled_at.tzinfo is not None

    site.add(grok.path, "gone", status=410, content_type="text/plain")
    assert tracker.crawl().gone == 1
    assert tracker.known_coverage("grok", docs, semantic=False) == [None, None, None]
    (sydney_match,) = tracker.known_coverage(
        "bing-copilot", [windows(sydney.body)[0]], semantic=False
    )
    assert sydney_match is not None and sydney_match.category == "persona-transcript"
