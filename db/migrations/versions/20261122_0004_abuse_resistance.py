"""abuse resistance: emails in their normal form; an index on running turns' leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Emails were stored as email-validator's form, lower-cased (NFC, but fullwidth lookalikes kept);
login now compares NFKC_Casefold forms (`tools.emails`), so every stored address is rewritten to
that form. An address whose normal form another account already holds (a lookalike registered
earlier) is left as it was and logged: it can no longer log in by password, which an operator
settles; silently merging two accounts would hand one person the other's tasks.
"""

import logging
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("email", sa.String(320)))


def _normal(address: str) -> str:
    # tools.emails.normalize_email as of this revision (a migration keeps doing what it did).
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address.strip()).casefold())


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(users.c.id, users.c.email).where(users.c.email.is_not(None)).order_by(users.c.id)
    ).all()
    taken = {email.lower() for _, email in rows if _normal(email) == email}
    for user_id, email in rows:
        normal = _normal(email)
        if normal == email:
            continue
        if normal.lower() in taken:
            log.warning("user %s keeps %r: its normal form belongs to another account", user_id, email)
            continue
        connection.execute(sa.update(users).where(users.c.id == user_id).values(email=normal))
        taken.add(normal.lower())
    op.create_index(
        "ix_conversations_leased",
        "conversations",
        ["user_id", "lease_expires_at"],
        postgresql_where=sa.text("lease_expires_at IS NOT NULL"),
        sqlite_where=sa.text("lease_expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_leased", "conversations")
    # The normal forms stay: they are valid addresses, and the old ones are not known any more.
