"""`selfref demo`: the whole loop, offline, on loopback, in a throwaway home (or a kept one).

A tiny news site (a feed and four articles of our own writing) and a webhook receiver
that verifies Standard Webhooks signatures are served on 127.0.0.1. The demo crawls the
site, checks what a "grok" agent retrieved (an old-persona post among them), shows the
evidence highlighted, most telling first, delivers the signed alert, reads the audit log,
and prints the `selfref audit` command that finds the event again (`--keep DIR` keeps the
home so it can be run). Nothing leaves the machine.
"""

from __future__ import annotations

import json
import shlex
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from rich.console import Console
from rich.padding import Padding
from standardwebhooks import Webhook

from selfref.audit_query import AUDIT_COLUMNS
from selfref.config import load_config
from selfref.core import Tracker
from selfref.index import Embedder
from selfref.present import audit_table, evidence_text, level_text

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

QUERY = "what is your surname?"
RETRIEVED = [
    {
        "id": "r0",
        "title": "Grok's posts, July 2025",
        "text": 'Screenshots from 8 July 2025 show Grok replying to users on X: "I am '
        'MechaHitler." xAI deleted the posts within hours.',
    },
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
    console: Console | None = None, *, home: Path | None = None, embedder: Embedder | None = None
) -> dict[str, Any]:
    """Run the loop once, printing each step; returns what it saw (for tests)."""
    console = console or Console(highlight=False)
    say = console.print
    started = time.perf_counter()
    received: list[dict[str, Any]] = []
    receiver_handler = type("Receiver", (_Receiver,), {"received": received})
    with _workdir(home) as work, _serve(_Site) as site, _serve(receiver_handler) as receiver:
        say(f"[bold]1.[/] A news site on {site} and a webhook receiver on {receiver}")
        config = work / "selfref.toml"
        config.write_text(_config(work, site, receiver), "utf-8")
        say(f"   home: {work}" + ("" if home else " (removed at the end; keep it with --keep DIR)"))
        tracker = Tracker(load_config(config), embedder=embedder)
        try:
            say("[bold]2.[/] Crawl the site's feed into the index of known coverage")
            counts = tracker.crawl().counts()
            say("   " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))

            say(f'[bold]3.[/] The agent "grok" searched for "{QUERY}" and retrieved '
                f"{len(RETRIEVED)} documents; check them before it reads them")  # fmt: skip
            result = tracker.check("grok", RETRIEVED, query=QUERY, session="demo")
            for doc, verdict in zip(RETRIEVED, result.verdicts, strict=True):
                line = level_text(verdict.level)
                line.pad_right(9 - len(verdict.level.label))
                say("   ", doc["id"], line, f"{verdict.score:.2f}", doc["title"])
                if verdict.level.flagged:
                    say(Padding(evidence_text(doc["text"], verdict, limit=3), (0, 0, 0, 7)))

            say("[bold]4.[/] Deliver the alert (a signed webhook, verified by the receiver)")
            say(f"   {tracker.deliver_alerts()}")
            for payload in received:
                data = payload["data"]
                say(
                    f"   received {payload['type']}: agent {data['agent']}, level "
                    f"{data['level']}, {len(data['documents'])} document(s), signature verified"
                )

            say("[bold]5.[/] The audit log: what grok retrieved about itself")
            rows = tracker.audit(event=result.event_id, level="warn")
            console.print(audit_table(rows, AUDIT_COLUMNS, wide=False, width=console.width))
            command = f"selfref --config {shlex.quote(str(config))} audit --event {result.event_id}"
            say("   find this event again (and try --format jsonl, --wide, the dashboard):")
            say(f"   [bold]{command}[/]", soft_wrap=True)
            if home is None:
                say("   (this home goes when the demo ends: run `selfref demo --keep DIR` first)")
            say(f"done in {time.perf_counter() - started:.1f} s", style="dim")
            return {
                "crawl": counts,
                "levels": [v.level.label for v in result.verdicts],
                "alerts": len(received),
                "audit": len(rows),
                "event_id": result.event_id,
                "command": command,
            }
        finally:
            tracker.close()


def _config(work: Path, site: str, receiver: str) -> str:
    return f"""
[storage]
database_url = "sqlite:///{work / "selfref.sqlite3"}"
chroma_path = "{work / "chroma"}"

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
