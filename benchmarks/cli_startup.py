"""Start-up time of `selfref` commands that need no detector or index (target <= 0.5 s),
against a bare `python -c pass` and `import click` measured in the same run, and the
modules each command imports.

Each command runs in a fresh process in a throwaway home whose audit database already
exists (the first command in a home creates it; `selfref audit` on a fresh home is timed
apart). Times are medians over `--repeat` runs.

Run: python benchmarks/cli_startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: list[tuple[str, list[str]]] = [
    ("selfref --help", ["--help"]),
    ("selfref check (usage error)", ["check"]),
    ("selfref agents list", ["agents", "list"]),
    ("selfref agents show grok", ["agents", "show", "grok"]),
    ("selfref audit", ["audit"]),
    ("selfref audit --agent grok --since 7d --level warn", ["audit", "--agent", "grok",
                                                           "--since", "7d", "--level", "warn"]),
]  # fmt: skip
HEAVY = ("numpy", "chromadb", "langchain_core", "sqlalchemy", "onnxruntime", "rich.table")
SELFREF = [sys.executable, "-c", "from tracker.cli import main; main()"]


def run(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    return time.perf_counter() - start


def median_s(argv: list[str], env: dict[str, str], repeat: int) -> float:
    return statistics.median(run(argv, env) for _ in range(repeat))


def heavy_modules(args: list[str], env: dict[str, str]) -> list[str]:
    """Which of the heavy modules the command imported."""
    probe = (
        "import sys\nfrom tracker.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    ).stdout
    line = next((x for x in out.splitlines() if x.startswith("HEAVY:")), "HEAVY:")
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SELFREF_HOME": str(Path(tmp) / "fresh"), "NO_COLOR": "1"}
        fresh_audit = run([*SELFREF, "audit"], env)
        env["SELFREF_HOME"] = str(Path(tmp) / "home")
        run([*SELFREF, "audit"], env)  # creates the audit database
        bare = median_s([sys.executable, "-c", "pass"], env, args.repeat)
        click = median_s([sys.executable, "-c", "import click"], env, args.repeat)
        print(f"python -c pass       {bare:6.3f} s")
        print(f"python -c 'import click' {click:6.3f} s")
        print(f"{'command':54} {'median':>7} {'x pass':>7}  heavy modules imported")
        for label, argv in COMMANDS:
            took = median_s([*SELFREF, *argv], env, args.repeat)
            heavy = ", ".join(heavy_modules(argv, env)) or "-"
            print(f"{label:54} {took:6.3f}s {took / bare:6.1f}x  {heavy}")
        print(f"{'selfref audit, first command in a fresh home':54} {fresh_audit:6.3f}s (once)")


if __name__ == "__main__":
    main()
