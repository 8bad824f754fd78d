"""The database schema: made on a fresh database, checked on every other one, changed only
by Alembic migrations (`tracker/migrations/`, `selfref db upgrade`).

- Fresh (no selfref tables): the tables are created from the models and stamped HEAD, at
  first use, by whichever process or thread gets there first: the others wait on the
  database's `schema` lock (`selfref.dblock`) and then find it done.
- At HEAD: nothing to do (one query, no lock).
- Behind, or written before migrations existed: refused with SchemaOutdatedError naming
  the command to run, unless `[storage] auto_migrate = true` (then upgraded, under the lock).
- Written by a newer selfref (an unknown revision): refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from selfref.dblock import DatabaseLock
from selfref.errors import SchemaOutdatedError
from selfref.migrations import HEAD, REVISIONS, VERSION_TABLE

__all__ = [
    "HEAD",
    "REVISIONS",
    "SchemaState",
    "ensure",
    "metadata",
    "run_alembic",
    "state",
    "upgrade",
]

PRE_MIGRATIONS = REVISIONS[0]
"""What a database written before migrations existed is stamped as before upgrading: every
step after it skips what such a database already has."""
MODEL_MODULES = ("selfref.audit", "selfref.outbox.schema", "selfref.crawl_state")
UPGRADE_HINT = "run `selfref db upgrade` (or set [storage] auto_migrate = true)"


def metadata() -> sa.MetaData:
    """Every selfref table (the model modules are imported so that none is missing)."""
    for name in MODEL_MODULES:
        import_module(name)
    return SQLModel.metadata


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database stands: its revision (None: unversioned) and whether it has tables."""

    revision: str | None
    has_tables: bool

    @property
    def fresh(self) -> bool:
        return self.revision is None and not self.has_tables

    @property
    def current(self) -> bool:
        return self.revision == HEAD

    def describe(self) -> str:
        if self.fresh:
            return "empty (no selfref tables yet)"
        if self.revision is None:
            return "written before migrations (unversioned)"
        if self.revision not in REVISIONS:
            return f"at revision {self.revision}, unknown to this selfref (a newer version?)"
        return f"at revision {self.revision}" + (" (head)" if self.current else f", head is {HEAD}")


def state(engine: Engine) -> SchemaState:
    """The database's revision and whether it holds any selfref table."""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        names = set(inspector.get_table_names())
        revision = None
        if VERSION_TABLE in names:
            revision = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
        ours = names & set(metadata().tables)
    return SchemaState(revision, bool(ours))


def ensure(engine: Engine, url: str, *, auto_migrate: bool = False) -> None:
    """Make the database ready for this selfref, or refuse it (see the module doc)."""
    now = state(engine)
    if now.current:
        return
    with DatabaseLock(url, "schema").holding():
        now = state(engine)  # another process may have done it while we waited
        if now.current:
            return
        if now.fresh:
            _create(engine)
        elif now.revision is not None and now.revision not in REVISIONS:
            raise SchemaOutdatedError(
                f"the database schema is {now.describe()}; upgrade selfref to use it"
            )
        elif auto_migrate:
            _upgrade(engine, now)
        else:
            raise SchemaOutdatedError(f"the database schema is {now.describe()}: {UPGRADE_HINT}")


def upgrade(engine: Engine, url: str) -> tuple[SchemaState, SchemaState]:
    """Bring the database to HEAD (`selfref db upgrade`); (before, after)."""
    with DatabaseLock(url, "schema").holding():
        before = state(engine)
        if before.revision is not None and before.revision not in REVISIONS:
            raise SchemaOutdatedError(
                f"the database schema is {before.describe()}; upgrade selfref to use it"
            )
        if before.fresh:
            _create(engine)
        elif not before.current:
            _upgrade(engine, before)
        return before, state(engine)


def _create(engine: Engine) -> None:
    with engine.begin() as conn:
        metadata().create_all(conn)
        run_alembic(conn, "stamp", HEAD)


def _upgrade(engine: Engine, now: SchemaState) -> None:
    with engine.begin() as conn:
        if now.revision is None:
            run_alembic(conn, "stamp", PRE_MIGRATIONS)
        run_alembic(conn, "upgrade", HEAD)


def run_alembic(conn: sa.Connection, command: str, revision: str) -> None:
    """Run an Alembic command (`upgrade`, `stamp`, `downgrade`) to `revision` on `conn`."""
    from alembic import command as commands
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "selfref:migrations")
    config.attributes["connection"] = conn
    getattr(commands, command)(config, revision)
