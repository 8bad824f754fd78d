"""Alembic environment: runs on the connection `selfref.schema` hands over, or on the
`-x url=...` of an `alembic` command line (for writing new revisions)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from selfref.schema import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = context.get_x_argument(as_dictionary=True).get("url")
        if not url:
            raise SystemExit("alembic: pass the database as -x url=sqlite:///PATH")
        with sa.create_engine(url).connect() as conn:
            _migrate(conn)
            conn.commit()
        return
    _migrate(connection)


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata(),
        render_as_batch=True,  # SQLite alters tables by copying them
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
