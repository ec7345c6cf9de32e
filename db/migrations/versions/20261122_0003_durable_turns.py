"""durable turns: the event log, stop requests, client ids for messages and chats; rate limits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import JSONVariant, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE turn_status ADD VALUE IF NOT EXISTS 'stopped'")

    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("client_id", sa.String(200), nullable=True))
    op.create_index("uq_conversations_user_client_id", "conversations", ["user_id", "client_id"], unique=True)

    with op.batch_alter_table("chat_turns") as batch:
        batch.add_column(sa.Column("client_message_id", sa.String(200), nullable=True))
        batch.add_column(sa.Column("stop_requested_at", UTCDateTime(), nullable=True))
    op.create_index(
        "uq_chat_turns_user_client_message_id", "chat_turns", ["user_id", "client_message_id"], unique=True
    )

    op.create_table(
        "chat_events",
        sa.Column(
            "conversation_id",
            sa.Uuid(),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False, nullable=False),
        sa.Column("turn_id", sa.Uuid(), sa.ForeignKey("chat_turns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", JSONVariant, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_chat_events_created", "chat_events", ["created_at"])

    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("tat", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_actions_created", "actions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_actions_created", "actions")
    op.drop_table("rate_limits")
    op.drop_table("chat_events")
    op.drop_index("uq_chat_turns_user_client_message_id", "chat_turns")
    with op.batch_alter_table("chat_turns") as batch:
        batch.drop_column("stop_requested_at")
        batch.drop_column("client_message_id")
    op.drop_index("uq_conversations_user_client_id", "conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("client_id")
    # PostgreSQL cannot drop a value from an enum type; 'stopped' stays, unused.
