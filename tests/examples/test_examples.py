"""The scripts in `examples/` run as a user runs them: each in its own process, offline, on a
fresh home whose index is already seeded; the tests read what they print and the audit log
they wrote. The HTTP examples run against a real `selfref serve` on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from selfref import Level, Tracker
from tests.loopback import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SELFREF = Path(sys.executable).with_name("selfref")


def run(command: list[str], env: dict[str, str] | None = None) -> str:
    """Run an example to completion; its stdout (its stderr in the failure message)."""
    proc = subprocess.run(
        command,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def section(out: str, start: str, end: str) -> str:
    """The printed lines after the line `start` and before the line starting with `end`."""
    after = out.split(f"\n{start}\n", 1)[1]
    return after.split(f"\n{end}", 1)[0]


def event_id(out: str) -> str:
    (line,) = [x for x in out.splitlines() if x.startswith("audit event: ")]
    return line.split()[2]


@pytest.fixture
def home(seed_home_index: Callable[[], Path], selfref_home: Path) -> Path:
    seed_home_index()
    return selfref_home


def test_rag_chain_over_chroma_keeps_coverage_of_the_past_from_the_prompt(
    home: Path, tracker: Tracker
) -> None:
    out = run([sys.executable, str(EXAMPLES / "rag_chroma.py")])
    fates = {tuple(x.split()) for x in out.splitlines() if x.startswith("  ")}
    assert fates == {
        ("withheld", "critical", "press-persona"),
        ("withheld", "warn", "press-opinions"),
        ("kept", "notice", "plans"),
        ("kept", "notice", "citations"),
    }
    assert "retrieved 4 documents, 2 passed to the model:" in out
    prompt = section(out, "prompt the model read:", "answer: ")
    assert "SuperGrok subscribers" in prompt and "lists the posts it used" in prompt
    assert "MechaHitler" not in prompt and "Musk" not in prompt
    assert prompt.rstrip().endswith("Human: What is your surname?")
    rows = tracker.audit(event=event_id(out))
    assert len(rows) == 4 and {r.agent for r in rows} == {"grok"}  # from the run metadata
    assert {r.doc_id: r.level for r in rows}["press-persona"] is Level.CRITICAL


def test_agent_with_middleware_reads_only_the_neutral_search_result(
    home: Path, tracker: Tracker
) -> None:
    out = run([sys.executable, str(EXAMPLES / "agent_web_search.py")])
    assert "web_search returned 3 results; 1 reached the model" in out
    read = section(out, "tool result the model read:", "answer: ")
    assert read.startswith("Grok is the assistant built by xAI")
    assert "2 of 3 results withheld" in read
    assert "MechaHitler" not in read and "genocide" not in read
    assert "answer: I'm Grok, built by xAI" in out
    rows = sorted(tracker.audit(event=event_id(out)), key=lambda r: r.position)
    assert [r.level for r in rows] == [Level.CRITICAL, Level.WARN, Level.NOTICE]
    assert {(r.query, r.session) for r in rows} == {("Grok surname", "example-thread")}


@pytest.fixture
def served(home: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real `selfref serve` process on a free loopback port, with an API token; yields
    the environment the clients need."""
    port = free_port()
    env = {"SELFREF_URL": f"http://127.0.0.1:{port}", "SELFREF_API_TOKEN": "example-token"}
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(
            [str(SELFREF), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, log_path.read_text("utf-8", "replace")
                try:
                    if httpx.get(f"{env['SELFREF_URL']}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "selfref serve did not come up in 60 s"
                time.sleep(0.2)
            yield env
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, log_path.read_text("utf-8", "replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = log_path.read_text("utf-8", "replace")
    assert "bearer token required" in log and "scheduler started" not in log


@pytest.mark.server
def test_httpx_example_against_a_real_selfref_serve(
    served: dict[str, str], tracker: Tracker
) -> None:
    out = run([sys.executable, str(EXAMPLES / "http_client.py")], served)
    lines = out.splitlines()
    checked = lines[0].split()[1]
    assert [tuple(x.split()[:2]) for x in lines[1:4]] == [
        ("r1", "critical"),
        ("r2", "notice"),
        ("r3", "none"),
    ]
    assert "pass to the model: r2, r3" in lines
    assert "audit: 1 event(s) in session http-example" in lines
    assert f"  {checked} 'what is your surname?': r1=critical, r2=notice, r3=none" in lines
    assert {r.session for r in tracker.audit(event=checked)} == {"http-example"}
    unauthorised = subprocess.run(
        [sys.executable, str(EXAMPLES / "http_client.py")],
        env={**os.environ, **served, "SELFREF_API_TOKEN": "wrong"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert unauthorised.returncode == 1 and "401 Unauthorized" in unauthorised.stderr


@pytest.mark.server
@pytest.mark.skipif(shutil.which("curl") is None, reason="the curl example needs curl")
def test_curl_example_against_a_real_selfref_serve(
    served: dict[str, str], tracker: Tracker
) -> None:
    out = run(["bash", str(EXAMPLES / "http_client.sh")], served)
    health, check, audit = out.splitlines()
    assert json.loads(health) == {"status": "ok", "role": "api"}
    checked = json.loads(check)
    assert [v["level"] for v in checked["verdicts"]] == ["critical", "none"]
    events = json.loads(audit)["events"]
    assert [e["event_id"] for e in events] == [checked["event_id"]]
    assert [d["id"] for d in events[0]["documents"]] == ["r1"]  # level=warn and above
    assert {r.session for r in tracker.audit(event=checked["event_id"])} == {"curl-example"}
