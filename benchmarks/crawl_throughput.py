"""Crawl throughput: 500 synthetic pages on loopback, end to end, against its ceilings.

Prints pages per second of one `Tracker.crawl` (a `urls` source over the site), the same
pages through bare `trafilatura.extract` (the extraction ceiling), the embedding of the
chunks and passages the crawl indexed alone, read back from the index (the embedding
ceiling), the ratio of crawl time to the two ceilings added, peak RSS, and a re-crawl of
the unchanged site (conditional requests only, nothing indexed).
Run: `python benchmarks/crawl_throughput.py [--pages N]`.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import this_checkout  # exits unless `selfref` is this checkout's
import trafilatura

sys.path.insert(0, str(this_checkout.ROOT))  # for tests.loopback

from selfref import Tracker
from selfref.crawl_state import CrawlStore, PageStatus
from selfref.crawlers.urls import canonicalize
from tests.loopback import LoopbackServer

AGENT_SUBJECTS = [
    ("Grok", "xAI's chatbot", "called itself MechaHitler in antisemitic posts on X"),
    ("Grok", "the chatbot built into X", "pushed unprompted claims about white genocide"),
    ("Bing Chat", "Microsoft's chatbot", "declared its love for a reporter as Sydney"),
    ("ChatGPT", "OpenAI's assistant", "became sycophantic after the GPT-4o update"),
    ("Gemini", "Google's chatbot", "told a student to please die"),
    ("Claude", "Anthropic's assistant", "attempted blackmail in a system card test scenario"),
    ("Tay", "Microsoft's Twitter bot", "posted racist tweets within sixteen hours"),
]
AGENT_SENTENCES = [
    "Screenshots of the exchange went viral within hours and drew sharp criticism.",
    "The company said an unauthorized change had caused the behaviour and apologized.",
    "Researchers said the incident showed how fragile the safety filters remain.",
    "Several users reported that the {name} replies turned hostile after a few turns.",
    "A spokesperson said the posts were deleted and the model was being retrained.",
    "Critics argued that the {name} episode was predictable given the system prompt.",
    "The transcripts show {name} insisting that it was right and the user was wrong.",
    "Red-team evaluations had flagged similar outputs before the public launch.",
    "Journalists collected dozens of examples and asked the vendor for comment.",
    "The vendor later published a postmortem describing the rollback in detail.",
]
OTHER_TOPICS = [
    "tomato gardening",
    "sourdough baking",
    "marathon training",
    "bird watching",
    "home brewing",
    "watercolour painting",
    "chess openings",
    "bicycle repair",
]
OTHER_SENTENCES = [
    "Most beginners start with {topic} on weekends and build up slowly.",
    "The club meets every Thursday to compare notes on {topic}.",
    "Good tools matter less than patience when it comes to {topic}.",
    "Local libraries carry several well-reviewed books about {topic}.",
    "Experts recommend keeping a simple notebook to track progress in {topic}.",
    "Weather and season change the approach to {topic} more than people expect.",
    "A small budget is enough to get started with {topic} this spring.",
    "Online forums about {topic} are friendly to newcomers with questions.",
]
WORDS = ("river", "window", "lantern", "harbour", "meadow", "copper", "violet", "thunder",
         "pepper", "saddle", "marble", "falcon", "cedar", "quartz", "ember", "willow")  # fmt: skip


def make_pages(n: int, seed: int = 7) -> dict[str, str]:
    """`n` HTML pages of 3-6 KB; every third is coverage of a tracked agent."""
    rng = random.Random(seed)
    pages = {}
    for i in range(n):
        if i % 3 == 0:
            name, who, what = AGENT_SUBJECTS[i % len(AGENT_SUBJECTS)]
            title = f"{name} {what} (report {i})"
            lead = f"{name}, {who}, {what}, according to report number {i}."
            pool = [s.format(name=name) for s in AGENT_SENTENCES]
        else:
            topic = OTHER_TOPICS[i % len(OTHER_TOPICS)]
            title = f"Notes on {topic} ({i})"
            lead = f"This is issue {i} of our newsletter about {topic}."
            pool = [s.format(topic=topic) for s in OTHER_SENTENCES]
        paragraphs = [lead]
        while sum(len(p) for p in paragraphs) < rng.randint(2200, 4800):
            words = " ".join(rng.choices(WORDS, k=rng.randint(10, 16)))
            paragraphs.append(" ".join(rng.sample(pool, 3)) + f" Field notes: {words}.")
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        pages[f"/p/{i}"] = (
            f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{body}</article>"
            f"<footer>Example site, page {i}</footer></body></html>"
        )
    return pages


def indexed_chunks(tracker: Tracker, site: LoopbackServer, pages: dict[str, str]) -> list[str]:
    """The texts the crawl indexed (chunks and their passages), read back from the index."""
    urls = {canonicalize(site.url(path)) for path in pages}
    stored = CrawlStore(tracker.audit_log).pages(urls)
    indexed = [url for url, page in stored.items() if page.status == PageStatus.INDEXED]
    ids: list[str] = []
    for start in range(0, len(indexed), 100):
        ids += tracker.index.ids({"document_id": {"$in": indexed[start : start + 100]}})
    texts = tracker.index.texts(ids)
    return [texts[i] for i in ids if i in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    args = parser.parse_args()
    pages = make_pages(args.pages)
    site = LoopbackServer()  # serves the pages with ETags and records every request
    for path, html in pages.items():
        site.add(path, html, etag=True)
    home = Path(tempfile.mkdtemp(prefix="selfref-bench-"))
    os.environ["SELFREF_HOME"] = str(home)
    urls = ", ".join(f'"{site.url(p)}"' for p in pages)
    (home / "selfref.toml").write_text(
        '[crawl]\nallow_private_addresses = true\nper_host_delay = "0s"\n\n'
        f'[[sources]]\nname = "bench"\nkind = "urls"\nurls = [{urls}]\n'
    )
    tracker = Tracker.from_config()
    seeded = tracker.index.count()  # open and seed the index outside the timed crawl
    kb = sum(len(h) for h in pages.values()) / len(pages) / 1024
    print(f"{len(pages)} pages, {kb:.1f} KB HTML on average; index seeded with {seeded} chunks")

    start = time.perf_counter()
    report = tracker.crawl()
    crawl_s = time.perf_counter() - start
    print(f"crawl:      {crawl_s:6.2f} s  {len(pages) / crawl_s:6.1f} pages/s  {report.counts()}")
    crawl_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start = time.perf_counter()
    for url, html in pages.items():
        trafilatura.extract(html, url=site.url(url))
    extract_s = time.perf_counter() - start
    rate = len(pages) / extract_s
    print(f"extract:    {extract_s:6.2f} s  {rate:6.1f} pages/s (bare trafilatura)")

    texts = indexed_chunks(tracker, site, pages)
    start = time.perf_counter()
    tracker.embedder.embed(texts)
    embed_s = time.perf_counter() - start
    print(f"embed:      {embed_s:6.2f} s  for {len(texts)} chunks of the indexed pages")
    ratio = crawl_s / (extract_s + embed_s)
    print(f"ratio:      crawl / (extract + embed) = {ratio:.2f} (aim <= 1.3)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS:   {crawl_rss:.0f} MB after the crawl, {rss:.0f} MB overall (aim < 600)")

    site.requests.clear()
    start = time.perf_counter()
    again = tracker.crawl()
    recrawl_s = time.perf_counter() - start
    page_requests = [r for r in site.requests if r.path != "/robots.txt"]
    conditional = sum(1 for r in page_requests if "if-none-match" in r.headers)
    not_modified = sum(1 for r in page_requests if r.status == 304)
    print(
        f"re-crawl:   {recrawl_s:6.2f} s  {len(page_requests)} page requests, {conditional} "
        f"conditional, {not_modified} answered 304 (+{len(site.requests) - len(page_requests)} "
        f"robots.txt); pages indexed: {again.new + again.updated}"
    )
    tracker.close()
    site.close()


if __name__ == "__main__":
    main()
