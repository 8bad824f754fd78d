"""Shared fixtures: a fresh SELFREF_HOME per test, one embedder per session, trackers.

What is slow to build is built once per session and shared:

- the catalog's vector index: `seeded_chroma` is seeded once, and `seed_home_index`
  copies that directory (about 1 MB) to `$SELFREF_HOME/chroma`, the default location, so
  each test still gets a fresh home with its own index and audit database, and the seeded
  original is never written to;
- the MiniLM embedder (`embedder`), which the trackers of `make_tracker` use;
- the built-in embedders' models: a tracker that loads one by name (the cross-lingual
  embedder for text in other languages, or the index's when no `embedder=` is given) gets
  the session's instance, so the multilingual model loads once, not once per tracker;
- the cross-lingual embedder's catalog vectors, which a tracker embeds at first use and
  caches in `$SELFREF_HOME/cache` (10-20 s): every home's `cache` is the session's, so
  the first test that needs them embeds them and the rest load the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from selfref import Tracker, index
from selfref import core as tracker_core
from selfref.config import load_config
from selfref.index.embedder import embedder_names


@pytest.fixture(scope="session", autouse=True)
def one_model_per_embedder() -> Iterator[None]:
    """A built-in embedder a tracker loads by name is loaded once per session (per options)
    and shared: embedders hold no state but their model."""
    real = tracker_core.load_embedder
    loaded: dict[tuple[str, str], index.Embedder] = {}
    lock = threading.Lock()

    def load(spec: str = "minilm", options: dict[str, Any] | None = None) -> index.Embedder:
        if spec not in embedder_names():  # a LangChain class: maybe the test's own
            return real(spec, options)
        key = (spec, json.dumps(options or {}, sort_keys=True))
        with lock:
            if key not in loaded:
                loaded[key] = real(spec, options)
            return loaded[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tracker_core, "load_embedder", load)  # fails if core stops using it
        yield


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `$SELFREF_HOME/cache` of every test (the cross-lingual catalog vectors)."""
    return tmp_path_factory.mktemp("selfref-cache")


@pytest.fixture(autouse=True)
def selfref_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_cache: Path) -> Path:
    """A fresh SELFREF_HOME, empty but for its `cache` (the session's); SELFREF_CONFIG and
    SELFREF_API_TOKEN unset."""
    home = tmp_path / "selfref-home"
    home.mkdir()
    (home / "cache").symlink_to(shared_cache, target_is_directory=True)
    monkeypatch.setenv("SELFREF_HOME", str(home))
    monkeypatch.delenv("SELFREF_CONFIG", raising=False)
    monkeypatch.delenv("SELFREF_API_TOKEN", raising=False)
    return home


@pytest.fixture
def write_config(selfref_home: Path) -> Callable[[str], Path]:
    """Write `$SELFREF_HOME/selfref.toml` with the given TOML text."""

    def write(text: str) -> Path:
        path = selfref_home / "selfref.toml"
        path.write_text(text, "utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def embedder() -> index.MiniLMEmbedder:
    """The real offline MiniLM embedder, loaded once, with onnxruntime's basic graph
    optimisation: its vectors are the default's to float32 rounding, under the same id
    (tests/index/test_embedder.py), and short texts embed several times faster. The
    default itself is what tests/index/test_embedder.py and every selfref process run."""
    return index.MiniLMEmbedder(graph_optimisation="basic")


@pytest.fixture(scope="session")
def seeded_chroma(tmp_path_factory: pytest.TempPathFactory, embedder: index.MiniLMEmbedder) -> Path:
    """A Chroma directory already seeded with the built-in catalog (built once)."""
    path = tmp_path_factory.mktemp("seeded-chroma")
    saved = os.environ.get("SELFREF_HOME")
    os.environ["SELFREF_HOME"] = str(path.parent / "seed-home")
    try:
        config = load_config()
        config.settings.storage.chroma_path = str(path)
        seeder = Tracker(config, embedder=embedder)
        assert seeder.index.count() > 0
        seeder.close()
    finally:
        if saved is None:
            os.environ.pop("SELFREF_HOME", None)
        else:
            os.environ["SELFREF_HOME"] = saved
    return path


class FakeClock:
    """A settable clock for Tracker(clock=...)."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def seed_home_index(selfref_home: Path, seeded_chroma: Path) -> Callable[[], Path]:
    """Copy the seeded index to `$SELFREF_HOME/chroma` (once per test); returns its path."""

    def seed() -> Path:
        target = selfref_home / "chroma"
        if not target.exists():
            shutil.copytree(seeded_chroma, target)
        return target

    return seed


@pytest.fixture
def make_tracker(
    embedder: index.MiniLMEmbedder, seed_home_index: Callable[[], Path]
) -> Iterator[Callable[..., Tracker]]:
    """`Tracker(load_config(), embedder=embedder, **kwargs)` on the current home; when the
    config names no Chroma location, the default one is pre-seeded. Closed after the test."""
    made: list[Tracker] = []

    def make(**kwargs: object) -> Tracker:
        config = load_config()
        storage = config.settings.storage
        if not storage.chroma_path and not storage.chroma_url:
            seed_home_index()
        t = Tracker(config, embedder=embedder, **kwargs)  # type: ignore[arg-type]
        made.append(t)
        return t

    yield make
    for t in made:
        t.close()


@pytest.fixture
def tracker(make_tracker: Callable[..., Tracker]) -> Tracker:
    """Tracker(load_config(), embedder=embedder) on the fresh home."""
    return make_tracker()


@pytest.fixture(scope="module")
def checker(
    tmp_path_factory: pytest.TempPathFactory,
    seeded_chroma: Path,
    shared_cache: Path,
    embedder: index.MiniLMEmbedder,
) -> Iterator[Tracker]:
    """One tracker for a module's tests that only call `check(..., record=False)`, which
    writes nothing, so they can share it: a table of detection cases then builds one tracker
    (catalog, detector, index) rather than one per case. Its home is its own, set up like
    `tracker`'s: the seeded index, the session's cache, the built-in config."""
    home = tmp_path_factory.mktemp("checker-home")
    shutil.copytree(seeded_chroma, home / "chroma")
    (home / "cache").symlink_to(shared_cache, target_is_directory=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SELFREF_HOME", str(home))
        patch.delenv("SELFREF_CONFIG", raising=False)
        shared = Tracker(load_config(), embedder=embedder)
    yield shared
    shared.close()


POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards."""
    admin = sa.create_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable at 127.0.0.1:5432 ({str(exc).splitlines()[0]})")
    name = f"selfref_test_{secrets.token_hex(6)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
