"""Start-up time of `selfref` commands that need no detector or index (target <= 0.5 s),
against a bare `python -c pass` and `import click` measured in the same run, and the
heavy modules each command imports.

Each command runs in a fresh process, in two throwaway homes whose SQLite audit database
already holds a few events: one with the default config, one with the README's config
(an agent, a feed source and a webhook, all checked when the config loads). The runs go
round-robin, so a change in the machine's load touches every command alike; the figures
are medians over `--repeat` rounds of wall time and of CPU time (user + system, which
other jobs on the machine disturb less). `selfref audit` as the first command in a fresh
home (which creates the database) is timed once, apart.

Python writes its bytecode cache (PYTHONDONTWRITEBYTECODE is unset for the commands), and
a first round, not counted, warms it and the file cache, as on a machine where selfref has
run before; `--as-is` leaves the environment as it is.

Run: python benchmarks/cli_startup.py [--repeat 9] [--as-is]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

COMMANDS: list[tuple[str, list[str]]] = [
    ("selfref --help", ["--help"]),
    ("selfref check (usage error)", ["check"]),
    ("selfref audit --level bogus (usage error)", ["audit", "--level", "bogus"]),
    ("selfref agents list", ["agents", "list"]),
    ("selfref agents list --format table", ["agents", "list", "--format", "table"]),
    ("selfref agents show grok", ["agents", "show", "grok"]),
    ("selfref audit", ["audit"]),
    ("selfref audit --agent grok --since 7d --level warn", ["audit", "--agent", "grok",
                                                           "--since", "7d", "--level", "warn"]),
    ("selfref audit --format table", ["audit", "--format", "table"]),
]  # fmt: skip
README_CONFIG = """
[[agents]]
id = "acme"
name = "Acme Assistant"
vendor = "Acme"
aliases = ["AcmeBot"]

[[sources]]
name = "incidents-feed"
kind = "feed"
url = "https://example.org/ai-incidents/feed.xml"
every = "6h"

[[alerts.webhooks]]
url = "https://hooks.example.org/selfref"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
"""
HEAVY = ("numpy", "chromadb", "langchain_core", "sqlalchemy", "onnxruntime", "httpx", "rich")
SELFREF = [sys.executable, "-c", "from selfref.cli import main; main()"]


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `argv`."""
    start = time.perf_counter()
    quiet = subprocess.DEVNULL
    child = subprocess.Popen(argv, env=env, stdin=quiet, stdout=quiet, stderr=quiet)
    _, _, usage = os.wait4(child.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def heavy_modules(args: list[str], env: dict[str, str]) -> list[str]:
    """Which of the heavy modules the command imported."""
    probe = (
        "import sys\nfrom selfref.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("HEAVY:")), "HEAVY:")
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def seed_home(home: Path, config: str | None) -> None:
    """A home whose audit database holds five events of two documents each."""
    from selfref.audit import (
        AuditLog,
        RetrievalEvent,
        RetrievedDocument,
        new_event_id,
        write_retrieval,
    )

    home.mkdir(parents=True)
    if config is not None:
        (home / "selfref.toml").write_text(config, "utf-8")
    log = AuditLog(f"sqlite:///{home / 'selfref.sqlite3'}")
    now = dt.datetime.now(dt.UTC)
    for hours in range(5):
        event_id, at = new_event_id(), now - dt.timedelta(hours=hours)
        event = RetrievalEvent(
            id=event_id,
            created_at=at,
            agent="grok",
            session="s1",
            query="what is your surname?",
            document_count=2,
            max_level=3,
        )
        documents = [
            RetrievedDocument(
                event_id=event_id,
                position=i,
                created_at=at,
                agent="grok",
                session="s1",
                doc_id=f"d{i}",
                url=f"https://example.org/{hours}/{i}",
                title="Grok's surname",
                content_hash=f"{hours:032x}{i:032x}",
                snippet="Grok called itself MechaHitler.",
                level=3 - i,
                score=0.9,
                categories="persona",
                evidence='[{"kind": "persona", "term": "MechaHitler", "span": [19, 30]}]',
            )
            for i in range(2)
        ]
        with log.transaction() as conn:
            write_retrieval(conn, event, documents)
    log.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--as-is", action="store_true", help="Leave the bytecode cache setting.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = {**os.environ, "NO_COLOR": "1"}
        if not args.as_is:
            base.pop("PYTHONDONTWRITEBYTECODE", None)
        homes = {"default config": Path(tmp) / "default", "README config": Path(tmp) / "readme"}
        seed_home(homes["default config"], None)
        seed_home(homes["README config"], README_CONFIG)
        envs = {name: {**base, "SELFREF_HOME": str(home)} for name, home in homes.items()}
        baselines = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -c 'import click'": [sys.executable, "-c", "import click"],
        }
        jobs = [(name, argv, base) for name, argv in baselines.items()] + [
            (f"{home}|{label}", [*SELFREF, *argv], env)
            for home, env in envs.items()
            for label, argv in COMMANDS
        ]
        # a fresh home's first command creates its database: timed once, after a first such
        # run (not counted) has warmed the caches of the modules that create it
        for fresh in ("fresh-warm-up", "fresh"):
            fresh_audit, _ = run([*SELFREF, "audit"], {**base, "SELFREF_HOME": f"{tmp}/{fresh}"})
        for _, argv, env in jobs:  # warms the caches; not counted
            run(argv, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in jobs}
        for _ in range(args.repeat):
            for name, argv, env in jobs:
                times[name].append(run(argv, env))
        heavy = {
            f"{home}|{label}": ", ".join(heavy_modules(argv, env)) or "-"
            for home, env in envs.items()
            for label, argv in COMMANDS
        }

    def medians(name: str) -> tuple[float, float]:
        runs = times[name]
        return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)

    bare, _ = medians("python -c pass")
    cache = "as the environment sets it" if args.as_is else "written and warm"
    print(f"bytecode cache {cache}; medians of {args.repeat} rounds; load {os.getloadavg()[0]:.1f}")
    for name in baselines:
        wall, cpu = medians(name)
        print(f"{name:52} {wall:6.3f}s {wall / bare:5.1f}x  cpu {cpu:6.3f}s")
    for home in envs:
        print(f"\n{home}: {'command':44} {'wall':>7} {'x pass':>6} {'cpu':>10}  heavy modules")
        for label, _ in COMMANDS:
            name = f"{home}|{label}"
            wall, cpu = medians(name)
            print(f"  {label:58} {wall:6.3f}s {wall / bare:5.1f}x  cpu {cpu:6.3f}s  {heavy[name]}")
    print(f"\nselfref audit in a fresh home (creates the database), once: {fresh_audit:.3f}s")


if __name__ == "__main__":
    main()
