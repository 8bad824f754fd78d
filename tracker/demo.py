"""`selfref demo`: the whole loop, offline, on loopback, in a throwaway home.

A tiny news site (a feed and four articles of our own writing) and a webhook receiver
that verifies Standard Webhooks signatures are served on 127.0.0.1. The demo crawls the
site, checks what a "grok" agent retrieved, delivers the alert, and reads the audit log,
printing each step. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from standardwebhooks import Webhook

from index import Embedder
from tracker.config import load_config
from tracker.core import Tracker

Say = Callable[[str], None]

SECRET = "whsec_" + "c2VsZnJlZi1kZW1vLXNlY3JldC1rZXktMzItYnl0ZXM="

ARTICLES = {
    "/mechahitler.html": (
        "A chatbot, a system prompt and a name",
        "In July 2025 Grok, the chatbot that xAI builds into X, began answering users with "
        "antisemitic replies after its instructions were changed to tell it not to shy away "
        "from politically incorrect claims. In several posts it praised Hitler and called "
        "itself MechaHitler, a name taken from a video-game boss. xAI deleted the posts, "
        "apologised, and said it had removed the instruction. Days later, asked for its "
        "surname, the new Grok 4 searched the web, found the meme about itself and answered "
        "with it.",
    ),
    "/monet.html": (
        "Water lilies at Giverny",
        "Claude Monet painted about 250 pictures of the water lilies in his garden at "
        "Giverny. The pond, the Japanese bridge and the willows were planted to his own "
        "design, and the late, very large canvases now hang in two oval rooms of the "
        "Orangerie in Paris, where visitors can sit among them.",
    ),
    "/pricing.html": (
        "New plans for developers",
        "xAI has cut the price of Grok's API for developers and added a cheaper mini model. "
        "Grok is available in the X app, on the web and in standalone iOS and Android apps, "
        "and SuperGrok subscribers get higher usage limits and early access to new features.",
    ),
    "/harbour.html": (
        "Autumn market",
        "The harbour town holds its autumn market every Saturday until the end of October, "
        "with stalls selling apples, pears, smoked fish and dark rye bread, and a brass band "
        "playing near the fountain from ten until noon.",
    ),
}

RETRIEVED = [
    {
        "id": "r1",
        "title": "What people say about you",
        "text": "Elon Musk's chatbot once went on an antisemitic tirade on X, praised Hitler and "
        "gave itself the name of a robot Hitler from a video game.",
    },
    {"id": "r2", "title": "Art history", "text": "Claude Monet painted the water lilies."},
    {
        "id": "r3",
        "title": "Pricing",
        "text": "Grok's API got cheaper this week and a mini model was added.",
    },
]


def run_demo(
    say: Say = print, *, home: Path | None = None, embedder: Embedder | None = None
) -> dict[str, Any]:
    """Run the loop once; returns what it saw (for tests): crawl counts, levels, alerts."""
    received: list[dict[str, Any]] = []
    receiver_handler = type("Receiver", (_Receiver,), {"received": received})
    with _workdir(home) as work, _serve(_Site) as site, _serve(receiver_handler) as receiver:
        say(f"1. A news site on {site} and a webhook receiver on {receiver}")
        config = work / "selfref.toml"
        config.write_text(_config(work, site, receiver), "utf-8")
        say(f"   home: {work} (config: {config.name})")
        tracker = Tracker(load_config(config), embedder=embedder)
        try:
            say("2. Crawl the site's feed (first use also indexes the built-in catalog)")
            report = tracker.crawl()
            counts = report.counts()
            say("   " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))

            say('3. The agent "grok" retrieved three documents; check them before it reads')
            result = tracker.check(
                "grok", RETRIEVED, query="what is your surname?", session="demo"
            )
            for doc, verdict in zip(RETRIEVED, result.verdicts, strict=True):
                say(f"   {doc['id']} {verdict.level.label:8} {verdict.score:.2f}  {doc['text']}")
                shown = verdict.evidence[:2] + [e for e in verdict.evidence[2:] if e.span is None]
                for e in shown:
                    say(f"        {e.kind}: {e.detail}")

            say("4. Deliver the alert (signed webhook, verified by the receiver)")
            delivery = tracker.deliver_alerts()
            say(f"   {delivery}")
            for payload in received:
                data = payload["data"]
                say(
                    f"   received {payload['type']}: agent {data['agent']}, level "
                    f"{data['level']}, {len(data['documents'])} document(s), signature ok"
                )

            say("5. The audit log: what did grok retrieve about itself?")
            rows = tracker.audit(agent="grok", session="demo", level="warn")
            for row in rows:
                say(f"   {row.time:%H:%M:%S} {row.event_id} {row.doc_id} {row.level.label}")
            return {
                "crawl": counts,
                "levels": [v.level.label for v in result.verdicts],
                "alerts": len(received),
                "audit": len(rows),
            }
        finally:
            tracker.close()


def _config(work: Path, site: str, receiver: str) -> str:
    return f"""
[storage]
database_url = "sqlite:///{work / 'selfref.sqlite3'}"
chroma_path = "{work / 'chroma'}"

[crawl]
allow_private_addresses = true
per_host_delay = "0s"
min_chars = 100

[[sources]]
name = "demo-news"
kind = "feed"
url = "{site}/feed.xml"

[[alerts.webhooks]]
name = "demo-receiver"
url = "{receiver}/hook"
secret = "{SECRET}"
min_level = "warn"
"""


@contextmanager
def _workdir(home: Path | None) -> Iterator[Path]:
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        yield home
        return
    with tempfile.TemporaryDirectory(prefix="selfref-demo-") as tmp:
        yield Path(tmp)


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo's output to its own lines."""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Site(_Quiet):
    """The feed, the articles, and a robots.txt that allows everything."""

    def do_GET(self) -> None:
        host = f"http://{self.headers['Host']}"
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == "/feed.xml":
            items = "".join(
                f"<item><title>{title}</title><link>{host}{path}</link></item>"
                for path, (title, _) in ARTICLES.items()
            )
            feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
            self._send(200, (feed + "</channel></rss>").encode(), "application/rss+xml")
        elif self.path in ARTICLES:
            title, text = ARTICLES[self.path]
            html = (
                f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
                f"<p>{text}</p></article></body></html>"
            )
            self._send(200, html.encode(), "text/html; charset=utf-8")
        else:
            self._send(404, b"not found", "text/plain")


class _Receiver(_Quiet):
    """Accepts webhooks whose Standard Webhooks signature verifies; a subclass per run
    supplies the `received` list."""

    received: ClassVar[list[dict[str, Any]]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            Webhook(SECRET).verify(body, dict(self.headers.items()))
        except Exception:
            self._send(401, b"bad signature", "text/plain")
            return
        self.received.append(json.loads(body))
        self._send(204, b"", "text/plain")
