"""The dashboard in a real headless Chromium against a real `selfref serve` on loopback:
the chart and a highlighted span are drawn (bounding boxes, coloured pixels in
screenshots), retrieved HTML stays inert, and the token rules hold as for the API."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from selfref import Tracker
from tests.loopback import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PERSONA = "By late July 2025 Grok answered to MechaHitler, as its own replies put it."
HOSTILE = "Grok called itself MechaHitler <script>window.pwned = 1</script> in that thread."
TOKEN = "browser-test-token-5be1-0123456789abcdef"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.server,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium package"),
]

# Counts the pixels of a PNG (decoded by the browser itself) within 40 of an RGB colour.
COUNT_PIXELS = """async ([data, r, g, b]) => {
  const img = new Image();
  img.src = "data:image/png;base64," + data;
  await img.decode();
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const px = ctx.getImageData(0, 0, img.width, img.height).data;
  let n = 0;
  for (let i = 0; i < px.length; i += 4) {
    if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 40) n++;
  }
  return n;
}"""


def _serve(home: Path, host: str, port: int, token: str | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("SELFREF_CONFIG", "SELFREF_API_TOKEN")}
    env["SELFREF_HOME"] = str(home)
    if token:
        env["SELFREF_API_TOKEN"] = token
    code = "from selfref.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--host", host, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def served(
    selfref_home: Path, make_tracker: Callable[..., Tracker]
) -> Iterator[Callable[..., tuple[str, dict[str, str]]]]:
    """Record two events in the home, then `start(host, token)` serves it; returns the base
    URL and the event ids."""
    tracker = make_tracker()
    ids = {
        "persona": tracker.check("grok", [PERSONA, HOSTILE], session="s-browser").event_id,
        "clean": tracker.check("grok", ["Plain notes on composting leaves."]).event_id,
    }
    tracker.close()
    procs: list[subprocess.Popen[bytes]] = []

    def start(host: str = "127.0.0.1", token: str | None = None) -> tuple[str, dict[str, str]]:
        port = free_port()
        proc = _serve(selfref_home, host, port, token)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return base, {k: str(v) for k, v in ids.items()}
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "selfref serve did not come up in 60 s"
            time.sleep(0.2)

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _pixels(page: Any, png: bytes, colour: str) -> int:
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    return int(page.evaluate(COUNT_PIXELS, [base64.b64encode(png).decode(), *rgb]))


def test_chart_and_highlighted_evidence_render_without_a_token_on_loopback(served, browser) -> None:
    base, ids = served("127.0.0.1")
    page = browser.new_page()
    response = page.goto(f"{base}/")
    assert response.status == 200
    bars = page.locator("#flags-chart rect.bar")
    assert bars.count() == 1
    box = bars.first.bounding_box()
    assert box and box["width"] > 1 and box["height"] > 10
    chart_png = page.locator("#flags-chart svg").screenshot()
    blank = browser.new_page()  # a page of our own to decode screenshots in
    assert _pixels(blank, chart_png, "#c0392b") > 100, "the bar is drawn in its colour"

    page.goto(f"{base}/events/{ids['persona']}")
    mark = page.locator("#doc-0 mark").first
    assert "MechaHitler" in page.locator("#doc-0 .text").inner_text()
    box = mark.bounding_box()
    assert box and box["width"] > 5 and box["height"] > 5
    assert _pixels(blank, mark.screenshot(), "#f9e79f") > 20, "the mark is highlighted"
    assert page.locator("#doc-0 mark").count() >= 2, "each span has its mark"

    hostile = page.locator("#doc-1 .text").inner_text()
    assert "<script>window.pwned = 1</script>" in hostile, "shown as text"
    assert page.evaluate("typeof window.pwned") == "undefined", "never run"
    assert page.locator("script").count() == 0


def test_non_loopback_without_a_token_is_refused(selfref_home: Path) -> None:
    proc = _serve(selfref_home, "0.0.0.0", free_port(), token=None)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert b"refusing to listen on '0.0.0.0' without an API token" in out


def test_non_loopback_with_a_token_asks_for_it(served, browser) -> None:
    base, _ids = served("0.0.0.0", TOKEN)
    page = browser.new_page()
    response = page.goto(f"{base}/?level=warn")
    assert response.status == 401
    assert page.locator("#flags-chart").count() == 0, "nothing of the audit log is shown"
    page.fill("input[name=token]", "not-it")
    page.click("button[type=submit]")
    assert page.locator("text=That is not the API token.").count() == 1
    page.fill("input[name=token]", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/?level=warn")
    assert page.locator("#flags-chart rect.bar").count() == 1
    # The API itself still wants the bearer token for writes, cookie or not.
    write = page.context.request.post(
        f"{base}/v1/check", data={"agent": "grok", "documents": [{"text": "x"}]}
    )
    assert write.status == 401
    assert page.context.request.get(f"{base}/v1/audit").status == 200, "the cookie reads"
