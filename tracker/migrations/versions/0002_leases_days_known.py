"""Outbox leases and destinations, per-day audit counts, known-coverage tables, covering
indexes and snippet offsets: the schema as of the first migration-managed release.

Each step is skipped when its result is already there, because databases written before
migrations existed come in every shape between 0001 and this one; they are stamped 0001
and brought here (`selfref.schema.upgrade`).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ADDED_COLUMNS = (
    ("alerts", sa.Column("destination", sa.String(length=32), nullable=True)),
    ("alerts", sa.Column("lease_token", sa.String(length=32), nullable=True)),
    (
        "retrieved_documents",
        sa.Column("snippet_start", sa.Integer(), server_default="0", nullable=False),
    ),
)
REPLACED_INDEXES = (
    ("retrieved_documents", "ix_docs_agent_time"),
    ("retrieved_documents", "ix_docs_level_time"),
    ("retrieved_documents", "ix_retrieved_documents_created_at"),
)
NEW_INDEXES = (
    ("retrieved_documents", "ix_docs_agent_time_level", ["agent", "created_at", "level"]),
    ("retrieved_documents", "ix_docs_level_time_agent", ["level", "created_at", "agent"]),
    ("retrieved_documents", "ix_docs_time_level_agent", ["created_at", "level", "agent"]),
    ("crawl_pages", "ix_pages_source_status", ["source", "status"]),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    _create_tables(inspector)
    for table, column in ADDED_COLUMNS:
        if column.name not in {c["name"] for c in inspector.get_columns(table)}:
            with op.batch_alter_table(table) as batch:
                batch.add_column(column)
    for table, name in REPLACED_INDEXES:
        if name in {i["name"] for i in inspector.get_indexes(table)}:
            op.drop_index(name, table_name=table)
    for table, name, columns in NEW_INDEXES:
        if name not in {i["name"] for i in inspector.get_indexes(table)}:
            op.create_index(name, table, columns)


def _create_tables(inspector: sa.Inspector) -> None:
    tables = set(inspector.get_table_names())
    if "audit_days" not in tables:
        op.create_table(
            "audit_days",
            sa.Column("day", sa.String(length=10), nullable=False),
            sa.Column("agent", sa.String(length=64), nullable=False),
            sa.Column("level", sa.Integer(), nullable=False),
            sa.Column("documents", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "agent", "level"),
        )
        _count_days()
    if "known_fingerprints" not in tables:
        op.create_table(
            "known_fingerprints",
            sa.Column("hash", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("page_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("passage", sa.Integer(), autoincrement=False, nullable=False),
            sa.PrimaryKeyConstraint("hash", "page_id", "passage"),
            sqlite_with_rowid=False,
        )
    if "known_pages" not in tables:
        op.create_table(
            "known_pages",
            sa.Column("page_id", sa.Integer(), nullable=False),
            sa.Column("fingerprints", sa.LargeBinary(), nullable=False),
            sa.ForeignKeyConstraint(["page_id"], ["crawl_pages.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("page_id"),
        )
    if "known_passages" not in tables:
        op.create_table(
            "known_passages",
            sa.Column("page_id", sa.Integer(), nullable=False),
            sa.Column("passage", sa.Integer(), nullable=False),
            sa.Column("agent", sa.String(length=64), nullable=False),
            sa.Column("category", sa.String(length=40), nullable=False),
            sa.Column("incidents", sa.String(), nullable=False),
            sa.Column("personas", sa.String(), nullable=False),
            sa.ForeignKeyConstraint(["page_id"], ["crawl_pages.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("page_id", "passage", "agent"),
        )
    if "known_urls" not in tables:
        op.create_table(
            "known_urls",
            sa.Column("url", sa.String(), nullable=False),
            sa.Column("owner", sa.Integer(), nullable=False),
            sa.Column("page_id", sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(["owner"], ["crawl_pages.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["page_id"], ["crawl_pages.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("url", "owner"),
        )
        op.create_index("ix_known_urls_owner", "known_urls", ["owner"])


def _count_days() -> None:
    """Count the documents already recorded into the new per-day table (UTC days)."""
    bind = op.get_bind()
    day = (
        "to_char(timezone('UTC', created_at), 'YYYY-MM-DD')"
        if bind.dialect.name == "postgresql"
        else "substr(created_at, 1, 10)"
    )
    op.execute(
        "INSERT INTO audit_days (day, agent, level, documents) "
        f"SELECT {day}, agent, level, count(*) FROM retrieved_documents "
        f"GROUP BY {day}, agent, level"
    )


def downgrade() -> None:
    for table, name, _columns in NEW_INDEXES:
        op.drop_index(name, table_name=table)
    op.create_index("ix_docs_agent_time", "retrieved_documents", ["agent", "created_at"])
    op.create_index("ix_docs_level_time", "retrieved_documents", ["level", "created_at"])
    op.create_index("ix_retrieved_documents_created_at", "retrieved_documents", ["created_at"])
    for table, column in reversed(ADDED_COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column.name)
    for table in ("known_urls", "known_passages", "known_pages", "known_fingerprints",
                  "audit_days"):  # fmt: skip
        op.drop_table(table)
