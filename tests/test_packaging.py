"""The one import name: `selfref` over the four folders, unshadowed by a user's files."""

from __future__ import annotations

import subprocess
import sys
import tomllib
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
    assert sorted(config["packages"]) == sorted(found)
