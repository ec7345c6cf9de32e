"""`python -m backend.prune`: delete audit rows older than AUDIT_RETENTION_DAYS (default 90).

Run it daily (deploy/k8s/prune-cronjob.yaml does). One DELETE over the `created_at` index; rows
of every user go, which is the point: the audit trail is bounded by time, not kept forever.
"""

import asyncio
import logging
from datetime import timedelta

from backend.settings import Settings
from db.engine import create_engine, create_sessionmaker
from db.types import utcnow
from tools.audit import prune_actions

log = logging.getLogger("backend.prune")


async def prune(settings: Settings) -> int:
    """Delete the audit rows older than the retention period; how many went."""
    engine = create_engine(settings.database_url, settings.db)
    try:
        async with create_sessionmaker(engine)() as session:
            before = utcnow() - timedelta(days=settings.audit.retention_days)
            return await prune_actions(session, before=before)
    finally:
        await engine.dispose()


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(message)s")
    deleted = asyncio.run(prune(settings))
    log.info("deleted %d audit rows older than %d days", deleted, settings.audit.retention_days)


if __name__ == "__main__":
    main()
