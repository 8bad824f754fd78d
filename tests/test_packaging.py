"""The one import name: `selfref` over the four folders, unshadowed by a user's files."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "selfref": "tracker",
    "selfref.crawlers": "crawlers",
    "selfref.index": "index",
    "selfref.alerts": "alerts",
}


def test_selfref_imports_from_a_directory_with_generic_names(tmp_path: Path) -> None:
    """A script beside an `index.py`, an `alerts/` package and a `tracker.py` (the names the
    folders have) still gets selfref and its leaves, not the user's modules."""
    (tmp_path / "index.py").write_text("raise ImportError('the user index.py')\n")
    (tmp_path / "tracker.py").write_text("raise ImportError('the user tracker.py')\n")
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "__init__.py").write_text("raise ImportError('the user alerts/')\n")
    (tmp_path / "crawlers").mkdir()  # a namespace package of that name
    code = (
        "import selfref\n"
        "from selfref import Tracker, Level\n"
        "from selfref.index import Embedder\n"
        "from selfref.alerts import WebhookChannel\n"
        "from selfref.crawlers.urls import canonicalize\n"
        "print(Tracker.__module__, Level.WARN.name)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["selfref.core", "WARN"]


def test_the_packages_listed_in_pyproject_are_the_folders() -> None:
    """setuptools builds exactly the listed packages: a new subpackage must be listed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    assert config["package-dir"] == FOLDERS
    found = set()
    for name, folder in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *parts)))
    data = {"selfref.data", "selfref.dashboard.templates"}  # package data, no module
    assert sorted(config["packages"]) == sorted(found | data)
    for leaf in ("crawlers", "index", "alerts"):  # tracker/ is `selfref`: no name of a leaf
        assert not (ROOT / "tracker" / leaf).exists()
        assert not (ROOT / "tracker" / f"{leaf}.py").exists()


# The optional extras ([langchain], [postgres]) hidden, as on `pip install selfref-tracker`.
WITHOUT_EXTRAS = """
import importlib, importlib.abc, sys

class NoExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("langchain", "langgraph", "psycopg"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoExtras())
for name in sys.argv[1:]:
    importlib.import_module(name)
try:
    import selfref.langchain
except ModuleNotFoundError as exc:
    print("langchain:", exc)
from selfref import Tracker
t = Tracker.from_config()
result = t.check("grok", ["Grok called itself MechaHitler in a series of posts on X."])
print("level:", result.verdicts[0].level.name, len(t.audit(agent="grok")))
"""


def test_the_core_runs_without_the_optional_extras(
    selfref_home: Path, seed_home_index: Callable[[], Path]
) -> None:
    """Every module but selfref.langchain imports without LangChain and psycopg, a check
    on the embedded default (SQLite, embedded Chroma) is recorded, and selfref.langchain
    names the extra that brings LangChain."""
    seed_home_index()
    modules = []
    for name, folder in FOLDERS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts[:1] != ("migrations",) and parts != ("langchain",):  # alembic's own
                modules.append(".".join((name, *parts)))
    env = {**os.environ, "SELFREF_HOME": str(selfref_home)}
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS, *modules],
        cwd=selfref_home,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "langchain: selfref.langchain needs LangChain, and langchain is not installed: "
        "pip install 'selfref-tracker[langchain]'"
    )
    assert lines[1].startswith(("level: WARN", "level: CRITICAL")) and lines[1].endswith(" 1")


BENCHMARKS = ROOT / "benchmarks"
HELPERS = {"this_checkout.py", "timing.py"}


def test_every_benchmark_imports_the_checkout_guard() -> None:
    """Each benchmark measures its own checkout: it imports `this_checkout`, before any of
    selfref when at module level (detection_quality imports both in `import_tracker`)."""
    for path in sorted(BENCHMARKS.glob("*.py")):
        if path.name in HELPERS:
            continue
        tree = ast.parse(path.read_text("utf-8"))
        lines = {"guard": [], "selfref": []}
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name == "this_checkout":
                    lines["guard"].append(node.lineno)
                elif name.split(".")[0] == "selfref":
                    lines["selfref"].append(node.lineno)
        assert lines["guard"], f"{path.name} does not import this_checkout"
        assert min(lines["guard"]) < min(lines["selfref"], default=10**9), path.name


def test_a_benchmark_refuses_a_selfref_from_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "selfref").mkdir()
    (tmp_path / "selfref" / "__init__.py").write_text("")  # another install, first on the path
    script = str(BENCHMARKS / "check_latency.py")
    refused = subprocess.run(
        [sys.executable, script, "--help"],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        f"check_latency.py: measures the checkout it lives in ({ROOT}), but `import selfref` "
        f"loads {tmp_path / 'selfref' / '__init__.py'}.\n"
    )
    assert "pip install -e" in refused.stderr
    own = subprocess.run(
        [sys.executable, script, "--help"], capture_output=True, text=True, timeout=120
    )
    assert own.returncode == 0 and own.stdout.startswith("usage: check_latency.py"), own.stderr
