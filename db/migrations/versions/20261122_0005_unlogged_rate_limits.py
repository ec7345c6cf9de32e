"""rate limits unlogged: their writes skip the write-ahead log and the commit's flush to disk

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22

Every chat message, login, sign-up and import writes its rate-limit row in a transaction of its
own, which waited for the WAL to reach the disk: half a millisecond of the chat's first byte,
measured (0.50 -> 0.25 ms a check). The rows are a few seconds to an hour of bucket state, safe
to lose: after a PostgreSQL crash, or on a promoted replica (unlogged tables are not
replicated), the table starts empty and every client has a full burst again. PostgreSQL only;
SQLite keeps limits in memory.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limits SET UNLOGGED")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_limits SET LOGGED")
