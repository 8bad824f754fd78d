"""Shared fixtures: a fresh SELFREF_HOME per test, one embedder per session, trackers.

Seeding the vector index with the catalog embeds about a hundred incident chunks (several
seconds), so the catalog is seeded once per session into `seeded_chroma`. `seed_home_index`
copies that directory (about 1 MB) to `$SELFREF_HOME/chroma`, the default location, so
each test still gets a fresh home with its own index and audit database, and the seeded
original is never written to.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

# pytest puts tests/ on sys.path for this conftest; tests/tracker and tests/index would then
# shadow the editable-installed packages as namespace packages. The repo root goes first.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import index  # noqa: E402
from tracker import Tracker  # noqa: E402
from tracker.config import load_config  # noqa: E402


@pytest.fixture(autouse=True)
def selfref_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty SELFREF_HOME; SELFREF_CONFIG and SELFREF_API_TOKEN unset."""
    home = tmp_path / "selfref-home"
    home.mkdir()
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
    """The real offline MiniLM embedder, loaded once."""
    return index.MiniLMEmbedder()


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
