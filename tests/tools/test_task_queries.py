"""The page of a list, as PostgreSQL renders it in JSON and as plain rows: the same page, always."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from backend.app import create_app
from db.migrate import upgrade
from db.models import Priority, Task, User
from tests.conftest import asgi_client, make_settings
from tools import task_queries
from tools.errors import UnknownUser
from tools.schemas import TaskQuery

BASE = datetime(2026, 3, 1, 9, 30, 0, 123456, tzinfo=UTC)
TITLES = [
    "Call the dentist",
    'Quotes " and \\ backslashes',
    "Tabs\tnew\nlines and \x01 control",
    "café crème ☕",
    "日本語のタスク",
    "100% done_ish / slash",
    "emoji 🦀 and ZWJ 👩‍💻",
    "apple",
    "Banana",
    "zebra",
]
QUERIES: list[dict[str, Any]] = [
    {},
    {"limit": 3},
    {"limit": 3, "offset": 3},
    {"offset": 100},
    {"status": "pending"},
    {"status": "completed"},
    {"priority": "high"},
    {"search": "CAFÉ"},
    {"search": "é"},
    {"search": "%"},
    {"search": "_"},
    {"search": "/"},
    {"search": "dentist", "status": "pending", "priority": "low"},
    {"due_before": "2026-03-05"},
    {"due_after": "2026-03-05", "due_before": "2026-03-08"},
    *(
        {"sort_by": key, "order": order}
        for key in ("created_at", "due_date", "priority", "title")
        for order in ("asc", "desc")
    ),
    {"sort_by": "due_date", "order": "desc", "limit": 4, "offset": 2},
]


def tasks_of(user_id: uuid.UUID) -> list[Task]:
    """Every shape of a task: with and without details, dates and completion; timestamps with
    and without a fraction of a second; ties on creation time (the id decides)."""
    tasks = []
    for n, title in enumerate(TITLES):
        created = BASE + timedelta(hours=n // 3)  # three at a time share a creation time
        tasks.append(
            Task(
                id=uuid.UUID(int=user_id.int & ~0xFFFF | n + 1),  # the user's own, in this order
                user_id=user_id,
                title=title,
                description=None if n % 3 == 0 else f'Details {n}: ünïcödé, "quoted", a/b, 50% off_{n}',
                priority=list(Priority)[n % 3],
                due_date=None if n % 4 == 0 else date(2026, 3, 1) + timedelta(days=n),
                completed=n % 2 == 1,
                completed_at=(created + timedelta(days=1)).replace(microsecond=0) if n % 2 == 1 else None,
                created_at=created,
                updated_at=created.replace(microsecond=0) if n % 5 == 0 else created + timedelta(seconds=n),
            )
        )
    return tasks


async def seed(application: FastAPI) -> uuid.UUID:
    user_id = uuid.uuid4()
    async with application.state.sessionmaker() as session:
        session.add(User(id=user_id, email=f"{user_id.hex}@example.com"))
        await session.flush()
        session.add_all(tasks_of(user_id))
        await session.commit()
    return user_id


@pytest.mark.parametrize(
    "params", QUERIES, ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "default"
)
async def test_json_and_rows_give_the_same_page(app: FastAPI, params: dict[str, Any]) -> None:
    user_id = await seed(app)
    query = TaskQuery.model_validate(params)
    async with app.state.engine.connect() as connection:
        text = await task_queries.page_json(connection, query, user_id)
        as_json = await task_queries.page_as_json(connection, query, user_id)
        as_rows = await task_queries.page_as_rows(connection, query, user_id)
    assert text == as_rows.model_dump_json(), "PostgreSQL's text is pydantic's, byte for byte"
    assert as_json.total == as_rows.total and as_json.items == as_rows.items


async def test_the_pages_are_not_trivially_equal(app: FastAPI) -> None:
    """The comparison above sees real pages: items, nulls, both kinds of timestamps, the order."""
    user_id = await seed(app)
    async with app.state.engine.connect() as connection:
        page = await task_queries.page_as_json(connection, TaskQuery(limit=100), user_id)
    assert page.total == len(TITLES) and [t.title for t in page.items] == TITLES
    body = page.model_dump_json()
    assert '"description":null' in body and '"completed_at":null' in body and '"due_date":null' in body
    assert '"created_at":"2026-03-01T09:30:00.123456Z"' in body
    assert '"updated_at":"2026-03-01T09:30:00Z"' in body


async def test_a_user_who_is_gone_is_unknown_on_both(app: FastAPI) -> None:
    async with app.state.engine.connect() as connection:
        for fetch in (task_queries.page_as_json, task_queries.page_as_rows):
            with pytest.raises(UnknownUser):
                await fetch(connection, TaskQuery(), uuid.uuid4())


async def test_sqlite_answers_as_postgresql_does(app: FastAPI, tmp_path: Path) -> None:
    """The zero-setup default, over HTTP, against PostgreSQL's JSON, for what both databases
    mean the same way (their case folding and collations differ beyond ASCII, as before)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'dev.db'}"
    await asyncio.to_thread(upgrade, url)
    sqlite = create_app(make_settings(url))
    async with sqlite.router.lifespan_context(sqlite):
        user_id = uuid.uuid4()
        for application in (app, sqlite):
            async with application.state.sessionmaker() as session:
                session.add(User(id=user_id, email=f"{user_id.hex}@example.com"))
                await session.flush()
                session.add_all(tasks_of(user_id))
                await session.commit()
        headers = {"Authorization": f"Bearer {app.state.tokens.issue(user_id)}"}
        ascii_only = [
            p for p in QUERIES if p.get("sort_by") != "title" and str(p.get("search", "")).isascii()
        ]
        async with asgi_client(app) as postgres_client, asgi_client(sqlite) as sqlite_client:
            for params in ascii_only:
                expected = await postgres_client.get("/api/tasks", params=params, headers=headers)
                answer = await sqlite_client.get("/api/tasks", params=params, headers=headers)
                assert expected.status_code == 200, expected.text
                assert answer.content == expected.content, params
