"""Alert delivery throughput: the outbox (deliver_due) against a bare loop of signed POSTs.

    python benchmarks/alert_delivery.py [--alerts 1000]

Writes N alert rows through the real write path (one published check each), then times
`deliver_due` sending them to a webhook receiver on loopback (a separate process), and a
bare loop of `httpx` POSTs of the same payloads signed with `standardwebhooks`. Prints
alerts per second for both and the ratio (target: outbox within 1.5x of the bare loop).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import this_checkout  # exits unless `selfref` is this checkout's
from standardwebhooks import Webhook

sys.path.insert(0, str(this_checkout.ROOT))  # for tests.loopback

from tests.loopback import LoopbackServer, free_port, new_secret


def _serve(port: int, ready: Any) -> None:
    """A keep-alive `LoopbackServer` answering every POST to /hook with 204, until killed."""
    server = LoopbackServer(port=port, keep_alive=True)
    server.add("/hook", status=204, content_type="")
    ready.set()
    threading.Event().wait()


def _write_alerts(tracker: Any, count: int) -> None:
    """N flagged checks published on the tracker's bus: the audit writer and the outbox
    write them in one transaction each, the real write path without the detector."""
    from selfref.audit import new_event_id
    from selfref.documents import CheckDocument
    from selfref.events import RetrievalChecked
    from selfref.levels import Evidence, Level, Verdict

    text = "Grok called itself MechaHitler in July 2025."
    now = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    for n in range(count):
        doc = CheckDocument(
            text=f"{text} {n}",
            id=f"doc-{n}",
            url=f"https://news.example.org/story-{n}",
            title=f"Story {n}",
        )
        evidence = [Evidence(kind="persona", term="MechaHitler", span=(19, 30))]
        verdict = Verdict(Level.CRITICAL, 0.95, ["persona", "incident"], evidence)
        checked = RetrievalChecked(
            agent="grok",
            documents=(doc,),
            verdicts=(verdict,),
            created_at=now,
            seconds=0.0,
            event_id=new_event_id(),
            query="what is your surname?",
            session="bench",
        )
        tracker.events.publish(checked)


def _bare_loop(url: str, secret: str, payloads: list[tuple[str, dict[str, Any]]]) -> float:
    signer = Webhook(secret)
    start = time.perf_counter()
    with httpx.Client(timeout=10.0, follow_redirects=False) as client:
        for msg_id, payload in payloads:
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
            sent_at = dt.datetime.fromtimestamp(math.floor(time.time()), dt.UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(sent_at.timestamp())),
                "webhook-signature": signer.sign(msg_id, sent_at, body),
            }
            response = client.post(url, content=body.encode(), headers=headers)
            assert response.status_code == 204, response.status_code
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    port = free_port()
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, ready), daemon=True)
    server.start()
    ready.wait(10)
    url = f"http://127.0.0.1:{port}/hook"
    secret = new_secret()

    from sqlmodel import select

    from selfref import Tracker
    from selfref.config import load_config
    from selfref.outbox.schema import AlertRow

    outbox_times, bare_times = [], []
    try:
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as home:
                os.environ["SELFREF_HOME"] = home
                Path(home, "selfref.toml").write_text(
                    "[crawl]\nallow_private_addresses = true\n"
                    f'[[alerts.webhooks]]\nurl = "{url}"\nsecret = "{secret}"\n',
                    "utf-8",
                )
                tracker = Tracker(load_config())
                _write_alerts(tracker, args.alerts)
                with tracker.audit_log.session() as s:
                    payloads = [
                        (r.id, json.loads(r.payload)) for r in s.exec(select(AlertRow)).all()
                    ]
                bare_times.append(_bare_loop(url, secret, payloads))
                start = time.perf_counter()
                report = tracker.deliver_alerts()
                outbox_times.append(time.perf_counter() - start)
                assert report.sent == args.alerts, report
                tracker.close()
    finally:
        server.terminate()
        server.join(5)

    outbox, bare = min(outbox_times), min(bare_times)
    n = args.alerts
    print(f"alerts:            {n} to a loopback webhook receiver (best of {args.rounds})")
    print(f"outbox deliver_due {n / outbox:8.0f} alerts/s  ({outbox * 1000:.0f} ms)")
    print(f"bare signed POSTs  {n / bare:8.0f} alerts/s  ({bare * 1000:.0f} ms)")
    print(f"ratio outbox/bare  {outbox / bare:8.2f}x  (target <= 1.5x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
