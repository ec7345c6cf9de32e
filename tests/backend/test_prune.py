"""`python -m backend.prune`: audit rows older than AUDIT_RETENTION_DAYS go, and only those."""

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from backend.prune import prune
from db.models import Action, RateLimit
from db.types import utcnow
from tests.conftest import make_settings
from tests.factories import make_task, make_user

ROOT = Path(__file__).resolve().parents[2]


async def test_prune_deletes_exactly_the_rows_past_the_retention(app: FastAPI, database_url: str) -> None:
    users = [await make_user(app) for _ in range(2)]
    ages = [400, 31, 30.01, 29.99, 0]  # days; retention 30
    for user in users:
        for age in ages:
            task = await make_task(app, user, f"{age} days old")
            async with app.state.sessionmaker() as session:
                await session.exec(
                    update(Action)
                    .where(col(Action.result)["id"].as_string() == str(task.id))  # its create_task row
                    .values(created_at=utcnow() - timedelta(days=age))
                )
                await session.commit()
    deleted, _ = await prune(make_settings(database_url, audit={"retention_days": 30}))
    assert deleted == 6  # no other test leaves rows this old
    async with app.state.sessionmaker() as session:
        for user in users:
            kept = (await session.exec(select(Action.arguments).where(Action.user_id == user.uuid))).all()
            assert sorted(a["title"] for a in kept) == ["0 days old", "29.99 days old"]


async def test_prune_deletes_the_rate_limit_keys_that_ran_out(app: FastAPI, database_url: str) -> None:
    spent, live = f"test:{uuid.uuid4()}", f"test:{uuid.uuid4()}"
    async with app.state.sessionmaker() as session:
        session.add(RateLimit(key=spent, tat=utcnow() - timedelta(seconds=1)))
        session.add(RateLimit(key=live, tat=utcnow() + timedelta(minutes=5)))
        await session.commit()
    _, keys = await prune(make_settings(database_url))
    assert keys >= 1
    async with app.state.sessionmaker() as session:
        left = (await session.exec(select(RateLimit.key).where(col(RateLimit.key).in_([spent, live])))).all()
    assert left == [live]


def test_the_command_runs(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'prune.db'}", "AUDIT_RETENTION_DAYS": "7"}
    subprocess.run([sys.executable, "-m", "backend.migrate"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "backend.prune"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "deleted 0 audit rows older than 7 days" in done.stderr
