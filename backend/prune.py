"""`python -m backend.prune`: delete audit rows older than AUDIT_RETENTION_DAYS (default 90),
and rate-limit keys that have run out.

Run it daily (deploy/k8s/prune-cronjob.yaml does). One DELETE over the `created_at` index; rows
of every user go, which is the point: the audit trail is bounded by time, not kept forever.
"""

import asyncio
import logging
from datetime import timedelta

from backend.logs import configure_logging
from backend.ratelimit import prune_rate_limits
from backend.settings import Settings
from db.engine import create_engine, create_sessionmaker
from db.types import utcnow
from tools.audit import prune_actions

log = logging.getLogger("backend.prune")


async def prune(settings: Settings) -> tuple[int, int]:
    """Delete the audit rows older than the retention period and the rate-limit keys that ran
    out; how many of each went."""
    engine = create_engine(settings.database_url, settings.db)
    try:
        async with create_sessionmaker(engine)() as session:
            before = utcnow() - timedelta(days=settings.audit.retention_days)
            actions = await prune_actions(session, before=before)
        return actions, await prune_rate_limits(engine)
    finally:
        await engine.dispose()


def main() -> None:
    settings = Settings()
    configure_logging(settings.log)
    actions, keys = asyncio.run(prune(settings))
    log.info("deleted %d audit rows older than %d days", actions, settings.audit.retention_days)
    log.info("deleted %d rate-limit keys that ran out", keys)


if __name__ == "__main__":
    main()
