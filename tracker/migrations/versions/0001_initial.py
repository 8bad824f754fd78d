"""The first released schema: audit log, alert outbox (before leases), crawl state.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_state",
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(), nullable=True),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fingerprint", sa.String(length=32), nullable=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "crawl_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("canonical_url", sa.String(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("duplicate_of", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("published", sa.String(length=10), nullable=True),
        sa.Column("agents", sa.String(), nullable=False),
        sa.Column("incidents", sa.String(), nullable=False),
        sa.Column("personas", sa.String(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("last_fetched", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crawl_pages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crawl_pages_canonical_url"), ["canonical_url"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_crawl_pages_content_hash"), ["content_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crawl_pages_source"), ["source"], unique=False)

    op.create_table(
        "crawl_sources",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("last_run", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("next_run_after", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "retrieval_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("session", sa.String(length=200), nullable=True),
        sa.Column("query", sa.String(), nullable=True),
        sa.Column("document_count", sa.Integer(), nullable=False),
        sa.Column("max_level", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retrieval_events", schema=None) as batch_op:
        batch_op.create_index("ix_events_agent_time", ["agent", "created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_retrieval_events_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_retrieval_events_session"), ["session"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["retrieval_events.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_alerts_dedup", ["channel", "dedup_key", "created_at"], unique=False
        )
        batch_op.create_index("ix_alerts_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_event_id"), ["event_id"], unique=False)

    op.create_table(
        "crawl_page_bands",
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["page_id"], ["crawl_pages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("page_id", "key"),
    )
    with op.batch_alter_table("crawl_page_bands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crawl_page_bands_key"), ["key"], unique=False)

    op.create_table(
        "retrieved_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(length=64), nullable=False),
        sa.Column("session", sa.String(length=200), nullable=True),
        sa.Column("doc_id", sa.String(length=500), nullable=True),
        sa.Column("url", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("snippet", sa.String(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("categories", sa.String(), nullable=False),
        sa.Column("evidence", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["retrieval_events.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("retrieved_documents", schema=None) as batch_op:
        batch_op.create_index("ix_docs_agent_time", ["agent", "created_at"], unique=False)
        batch_op.create_index("ix_docs_level_time", ["level", "created_at"], unique=False)
        batch_op.create_index("ix_docs_session_time", ["session", "created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_retrieved_documents_content_hash"), ["content_hash"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retrieved_documents_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retrieved_documents_event_id"), ["event_id"], unique=False
        )


def downgrade() -> None:
    for table in ("retrieved_documents", "crawl_page_bands", "alerts", "retrieval_events",
                  "crawl_sources", "crawl_pages", "channel_state"):  # fmt: skip
        op.drop_table(table)
