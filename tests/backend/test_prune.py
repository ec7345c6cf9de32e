"""`python -m backend.prune`: audit rows older than AUDIT_RETENTION_DAYS go, and only those."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from backend.prune import prune
from db.models import Action
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
    deleted = await prune(make_settings(database_url, audit={"retention_days": 30}))
    assert deleted == 6  # no other test leaves rows this old
    async with app.state.sessionmaker() as session:
        for user in users:
            kept = (await session.exec(select(Action.arguments).where(Action.user_id == user.uuid))).all()
            assert sorted(a["title"] for a in kept) == ["0 days old", "29.99 days old"]


def test_the_command_runs(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'prune.db'}", "AUDIT_RETENTION_DAYS": "7"}
    subprocess.run([sys.executable, "-m", "backend.migrate"], cwd=ROOT, env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "backend.prune"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert "deleted 0 audit rows older than 7 days" in done.stderr
