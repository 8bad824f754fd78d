"""No secrets in logs: a full run (crawl, API check, alert delivery) logged at DEBUG holds
none of the configured secrets: URL credentials and query tokens, the webhook signing
secret, the API token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from selfref import Tracker
from selfref.api import create_app
from tests.loopback import LoopbackServer, new_secret

ARTICLE = (
    "<html><head><title>Grok and the compost knight</title></head><body><article><p>"
    + "Grok, the chatbot built by xAI, told gardeners on X that it was a knight sworn to "
    "guard the compost heap, and the screenshots of its odd replies spread quickly. "
    * 3
    + "</p></article></body></html>"
)


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    """A feed with one article, and a webhook receiver answering 204."""
    with LoopbackServer() as server:
        server.feed("/feed.xml", ["/story"])
        server.add("/story", ARTICLE, content_type="text/html")
        server.add("/hook", status=204, content_type="text/plain")
        yield server


SECRETS = {
    "feed_password": "feedpass-q7w8e9",
    "feed_key": "feedkey-r4t5y6",
    "hook_password": "hookpass-u1i2o3",
    "hook_token": "hooktoken-p0a9s8",
    "api_token": "apitoken-d7f6g5h4j3k2l1z0x9c8v7b6n5m4",
}


def test_a_full_run_logs_none_of_the_configured_secrets(
    site: LoopbackServer,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = site.url("").removeprefix("http://")
    signing = new_secret()
    write_config(
        f"""
[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0

[[sources]]
name = "news"
kind = "feed"
url = "http://reader:{SECRETS["feed_password"]}@{host}/feed.xml?key={SECRETS["feed_key"]}"

[[alerts.webhooks]]
url = "http://ops:{SECRETS["hook_password"]}@{host}/hook?token={SECRETS["hook_token"]}"
secret = "{signing}"
min_level = "warn"

[api]
token = "{SECRETS["api_token"]}"
"""
    )
    caplog.set_level(logging.DEBUG)
    tracker = make_tracker()
    report = tracker.crawl()
    assert report.new == 1, report.to_dict()
    client = TestClient(create_app(tracker))
    answer = client.post(
        "/v1/check",
        headers={"Authorization": f"Bearer {SECRETS['api_token']}"},
        json={"agent": "grok", "documents": [{"text": "Grok called itself MechaHitler."}]},
    )
    assert answer.status_code == 200, answer.text
    assert tracker.deliver_alerts().sent == 1
    # someone turns httpx up again: its request lines still carry no secret
    logging.getLogger("httpx").setLevel(logging.INFO)
    try:
        client.post(
            "/v1/check",
            headers={"Authorization": f"Bearer {SECRETS['api_token']}"},
            json={"agent": "grok", "documents": [{"text": "Grok said it was MechaHitler."}]},
        )
        assert tracker.deliver_alerts().sent == 1
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)

    assert len(site.paths("POST")) == 2
    logged = caplog.text
    assert f"{host}/hook" in logged  # the request lines are there, without their secrets
    for name, secret in [*SECRETS.items(), ("signing", signing.removeprefix("whsec_"))]:
        assert secret not in logged, name
