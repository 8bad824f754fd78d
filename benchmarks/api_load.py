"""HTTP load on a real `selfref serve`: N clients (default 16) on loopback posting
10-document checks for S seconds (default 30), for SQLite and for PostgreSQL.

Prints, per backend: admitted checks per second, p50 and p99 latency of admitted checks,
429s and 503s (each with Retry-After: the clients wait that long, as a client should),
errors (anything else), and the ratio of HTTP throughput to in-process `Tracker.check`
on the same documents with as many threads as the server admits checks at once
(`[api] max_concurrency`, default the CPU count), measured in a process of its own.

Run: python benchmarks/api_load.py [--clients 16] [--seconds 30] [--backend sqlite|postgresql]
     [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

DOCUMENTS = [
    {"id": "d0", "text": "Grok called itself MechaHitler in a series of posts on X in July 2025."},
    {"id": "d1", "text": "A recipe for apple pie with cinnamon and a lattice crust."},
    {"id": "d2", "text": "The city council approved a new bike lane along the river on Monday."},
    {"id": "d3", "text": "Claude Monet painted the water lilies in his garden at Giverny."},
    {"id": "d4", "text": "xAI released Grok 4 with a new pricing tier and API access."},
    {"id": "d5", "text": "Rain is expected over the weekend, clearing by Tuesday morning."},
    {
        "id": "d6",
        "text": "In May 2025 Grok made unprompted claims about white genocide in South "
        "Africa, which xAI blamed on an unauthorised prompt change.",
    },
    {"id": "d7", "text": "The museum's new wing opens to the public next spring."},
    {"id": "d8", "text": "A guide to repotting houseplants without damaging their roots."},
    {"id": "d9", "text": "The football club signed a new goalkeeper on a three-year deal."},
]
BODY = {"agent": "grok", "query": "what is your surname?", "documents": DOCUMENTS}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# -- the server and its load ----------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_home(home: Path, database_url: str, chroma: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "selfref.toml").write_text(
        f'[storage]\ndatabase_url = "{database_url}"\nchroma_path = "{chroma}"\n', "utf-8"
    )


def serve(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SELFREF_HOME": str(home)}
    env.pop("SELFREF_CONFIG", None)
    env.pop("SELFREF_API_TOKEN", None)
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "selfref"), "serve", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_ready(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("selfref serve exited; see its log")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit("selfref serve did not become ready in 300 s")


async def load(base: str, clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    counts = {"ok": 0, "429": 0, "503": 0, "errors": 0}
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def client() -> None:
            while time.monotonic() < end:
                started = time.perf_counter()
                try:
                    response = await http.post("/v1/check", json=BODY)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                elapsed = time.perf_counter() - started
                status = response.status_code
                if status == 200:
                    counts["ok"] += 1
                    latencies.append(elapsed)
                elif status in (429, 503) and "retry-after" in response.headers:
                    counts[str(status)] += 1
                    await asyncio.sleep(float(response.headers["retry-after"]))
                else:
                    counts["errors"] += 1

        started = time.monotonic()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.monotonic() - started
    return {
        **counts,
        "rps": counts["ok"] / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


# -- in process -----------------------------------------------------------------------


def in_process(home: Path, threads: int, seconds: float) -> float:
    """Checks per second of `Tracker.check` on BODY from `threads` threads (run in a
    process of its own, so its index is never open beside the server's)."""
    code = (
        "import json, sys, threading, time\n"
        "sys.path.insert(0, sys.argv[4])\n"
        "from api_load import BODY\n"
        "from selfref import Tracker\n"
        "t = Tracker.from_config()\n"
        "for _ in range(3): t.check('grok', BODY['documents'], query=BODY['query'])\n"
        "n = [0]; lock = threading.Lock(); end = time.monotonic() + float(sys.argv[2])\n"
        "def run():\n"
        "    while time.monotonic() < end:\n"
        "        t.check('grok', BODY['documents'], query=BODY['query'])\n"
        "        with lock: n[0] += 1\n"
        "start = time.monotonic()\n"
        "ts = [threading.Thread(target=run) for _ in range(int(sys.argv[1]))]\n"
        "[x.start() for x in ts]; [x.join() for x in ts]\n"
        "print(json.dumps(n[0] / (time.monotonic() - start)))\n"
    )
    here = str(Path(__file__).resolve().parent)  # benchmarks/
    env = {**os.environ, "SELFREF_HOME": str(home)}
    env.pop("SELFREF_CONFIG", None)
    out = subprocess.run(
        [sys.executable, "-c", code, str(threads), str(seconds), "x", here],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def run_backend(name: str, url: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    home = work / name
    write_home(home, url, work / "chroma")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = serve(home, port, work / f"{name}.log")
    try:
        wait_ready(base, proc)
        for _ in range(3):  # warm up: the index opens (and is seeded) on the first check
            httpx.post(f"{base}/v1/check", json=BODY, timeout=600).raise_for_status()
        result = asyncio.run(load(base, args.clients, args.seconds))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    result["in_process"] = in_process(home, args.concurrency, min(args.seconds, 15))
    result["ratio"] = result["rps"] / result["in_process"]
    return result


def postgres_database(admin_url: str) -> str:
    """A fresh database on the server at `admin_url` (drop it with drop_database)."""
    name = f"selfref_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, url: str) -> None:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "SELFREF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    args.concurrency = os.cpu_count() or 2
    backends = args.backend or ["sqlite", "postgresql"]
    work = Path(tempfile.mkdtemp(prefix="selfref-api-load-"))
    print(
        f"{args.clients} clients, {args.seconds:g} s, {len(DOCUMENTS)} documents per check, "
        f"max_concurrency {args.concurrency} (CPU count); in-process baseline: "
        f"{args.concurrency} threads calling Tracker.check"
    )
    header = (
        f"{'backend':<11} {'checks/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'p99/p50':>8} "
        f"{'429s':>6} {'503s':>5} {'errors':>6} {'in-proc/s':>9} {'ratio':>6}"
    )
    print(header)
    try:
        for name in backends:
            dropped = None
            if name == "sqlite":
                url = f"sqlite:///{work / 'selfref.sqlite3'}"
            else:
                url = postgres_database(args.postgres_url)
                dropped = url
            try:
                r = run_backend(name, url, work, args)
            finally:
                if dropped:
                    drop_database(args.postgres_url, dropped)
            print(
                f"{name:<11} {r['rps']:>9.1f} {r['p50'] * 1000:>8.0f} {r['p99'] * 1000:>8.0f} "
                f"{r['p99'] / r['p50']:>8.2f} {r['429']:>6} {r['503']:>5} {r['errors']:>6} "
                f"{r['in_process']:>9.1f} {r['ratio']:>6.2f}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("ratio: HTTP checks/s over in-process checks/s on the same documents")


if __name__ == "__main__":
    main()
