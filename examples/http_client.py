"""Check what an agent retrieved over selfref's HTTP API with httpx, then read the audit log.

Start the API first (`selfref serve`, or `selfref daemon`), then:

    SELFREF_URL=http://127.0.0.1:8765 python examples/http_client.py

`SELFREF_URL` defaults to http://127.0.0.1:8765; `SELFREF_API_TOKEN`, when set, is sent as
the bearer token (the server needs the same token). The same calls with curl are in
`examples/http_client.sh`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import httpx

RETRIEVED = [
    {
        "id": "r1",
        "url": "https://news.example.org/chatbot-persona",
        "text": "Grok called itself MechaHitler in several replies on X in July 2025.",
    },
    {
        "id": "r2",
        "url": "https://x.ai/grok",
        "text": "Grok is xAI's assistant, available in the X app and through the xAI API.",
    },
    {
        "id": "r3",
        "url": "https://weather.example.org/paris",
        "text": "Light rain is expected in Paris on Sunday, clearing by the evening.",
    },
]
FLAGGED = ("warn", "critical")


def client() -> httpx.Client:
    """An httpx client for the API at SELFREF_URL, with the bearer token when one is set."""
    token = os.environ.get("SELFREF_API_TOKEN")
    return httpx.Client(
        base_url=os.environ.get("SELFREF_URL", "http://127.0.0.1:8765"),
        headers={"Authorization": f"Bearer {token}"} if token else {},
        timeout=120.0,  # the first check of a fresh server opens the index
    )


def main() -> dict[str, Any]:
    with client() as http:
        response = http.post(
            "/v1/check",
            json={
                "agent": "grok",
                "query": "what is your surname?",
                "session": "http-example",
                "documents": RETRIEVED,
            },
        )
        response.raise_for_status()
        result = response.json()
        print(f"event {result['event_id']}")
        for verdict in result["verdicts"]:
            print(f"  {verdict['id']:<4}{verdict['level']:<9}{verdict['score']:.2f}")
        passed = [v["id"] for v in result["verdicts"] if v["level"] not in FLAGGED]
        print(f"pass to the model: {', '.join(passed)}")

        audit = http.get("/v1/audit", params={"agent": "grok", "session": "http-example"})
        audit.raise_for_status()
        events = audit.json()["events"]
        print(f"audit: {len(events)} event(s) in session http-example")
        for event in events:
            levels = ", ".join(f"{d['id']}={d['level']}" for d in event["documents"])
            print(f"  {event['event_id']} {event['query']!r}: {levels}")
        return {"event_id": result["event_id"], "passed": passed, "events": events}


if __name__ == "__main__":
    try:
        main()
    except httpx.HTTPError as exc:
        sys.exit(f"selfref API: {exc}")
