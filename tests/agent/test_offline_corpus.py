"""The offline model against what people type (tests/offline_corpus.py), through the public API.

Each phrase is one `POST /api/chat` in a new conversation — the real SDK loop, tools and audit
trail — against the seeded task list; the turn's audit rows are compared with the expected calls.
After a phrase its writes are undone through `/api/tasks`, so every phrase sees the same list.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
import pytest
from fastapi import FastAPI

from backend.app import create_app
from tests.agent.offline_corpus import ANY, CORPUS, NOW, SEED, Call, Case, Task
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser, make_user

PASS_RATE = 0.95
FILTERS = ("search", "status", "priority", "due_before", "due_after")  # always compared
DATE_FIELDS = ("due_date", "due_before", "due_after")
# The audit row holds create_task's validated input, defaults included.
CREATE_DEFAULTS = {"description": None, "priority": "medium", "due_date": None}


@pytest.fixture(scope="module")
async def corpus_app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(
        make_settings(database_url, llm={"provider": "offline"}), clock=lambda tz: NOW.astimezone(tz)
    )
    async with application.router.lifespan_context(application):
        yield application


@dataclass
class TaskList:
    """The seeded tasks of one user, by key; put back as seeded after each phrase."""

    client: httpx2.AsyncClient
    user: AuthedUser
    ids: dict[str, str]

    @classmethod
    async def seed(cls, client: httpx2.AsyncClient, user: AuthedUser) -> "TaskList":
        tasks = cls(client, user, {})
        for key in SEED:
            await tasks.add(key)
        return tasks

    async def add(self, key: str) -> None:
        fields = {k: v for k, v in SEED[key].items() if k != "completed"}
        response = await self.client.post("/api/tasks", json=fields, headers=self.user.headers)
        assert response.status_code == 201, response.text
        self.ids[key] = response.json()["id"]
        if SEED[key].get("completed"):
            await self.restore(key)

    async def restore(self, key: str) -> None:
        fields = {"description": None, "due_date": None, "completed": False} | SEED[key]
        url = f"/api/tasks/{self.ids[key]}"
        response = await self.client.patch(url, json=fields, headers=self.user.headers)
        assert response.status_code == 200, response.text

    async def undo(self, actions: list[dict[str, Any]]) -> None:
        keys = {task_id: key for key, task_id in self.ids.items()}
        for action in actions:
            if action["status"] != "ok":
                continue
            if action["tool"] == "create_task":
                url = f"/api/tasks/{action['result']['id']}"
                assert (await self.client.delete(url, headers=self.user.headers)).status_code == 204
            elif action["tool"] == "update_task":
                await self.restore(keys[action["arguments"]["task_id"]])
            elif action["tool"] == "delete_task":
                await self.add(keys[action["arguments"]["task_id"]])


def expected_calls(case: Case, ids: dict[str, str]) -> list[Call]:
    today = NOW.astimezone(ZoneInfo(case.zone)).date()

    def value(key: str, v: Any) -> Any:
        if isinstance(v, Task):
            return ids[v.key]
        if key in DATE_FIELDS and isinstance(v, int):
            return (today + timedelta(days=v)).isoformat()
        return v

    calls = [(tool, {k: value(k, v) for k, v in args.items()}) for tool, args in case.expected]
    return [(tool, CREATE_DEFAULTS | args if tool == "create_task" else args) for tool, args in calls]


def matches(expected: list[Call], actions: list[dict[str, Any]]) -> bool:
    if len(expected) != len(actions) or any(a["status"] != "ok" for a in actions):
        return False
    for (tool, want), action in zip(expected, actions, strict=True):
        got = action["arguments"]
        if action["tool"] != tool:
            return False
        if tool != "list_tasks":
            if got != want:
                return False
            continue
        keys = set(FILTERS) | set(want)  # presentation keys (sort, limit) only when named
        for key in keys:
            if want.get(key) is ANY:
                if not got.get(key):
                    return False
            elif got.get(key) != want.get(key):
                return False
    return True


def shown(calls: list[Call]) -> str:
    def argument(key: str, value: Any) -> str:
        return f"{key}=<name>" if value is ANY else f"{key}={value!r}"

    return "; ".join(f"{tool}({', '.join(argument(k, v) for k, v in args.items())})" for tool, args in calls)


async def test_the_corpus_is_broad() -> None:
    assert len(CORPUS) >= 150
    assert len({(c.phrase, c.zone) for c in CORPUS}) == len(CORPUS), "each phrase once"
    assert {c.zone for c in CORPUS} == {
        "UTC",
        "America/New_York",
        "Europe/Paris",
        "Asia/Tokyo",
        "Pacific/Auckland",
    }
    tools = {tool for c in CORPUS for tool, _ in c.expected}
    assert tools == {"create_task", "list_tasks", "update_task", "delete_task", "read_task"}


async def test_the_offline_model_understands_the_corpus(
    corpus_app: FastAPI, capsys: pytest.CaptureFixture[str]
) -> None:
    failures: list[str] = []
    crashes: list[str] = []
    async with asgi_client(corpus_app) as client:
        user = await make_user(corpus_app)
        tasks = await TaskList.seed(client, user)
        for case in CORPUS:
            response = await client.post(
                "/api/chat",
                json={"message": case.phrase, "stream": False},
                headers={**user.headers, "X-Timezone": case.zone},
            )
            if response.status_code != 200:  # no phrase may break a turn, understood or not
                crashes.append(f"{case.phrase!r} [{case.zone}]: HTTP {response.status_code} {response.text}")
                continue
            actions = response.json()["actions"]
            expected = expected_calls(case, tasks.ids)
            if not matches(expected, actions):
                got = [(a["tool"], a["arguments"] | {"status": a["status"]}) for a in actions]
                failures.append(
                    f"{case.phrase!r} [{case.zone}]\n    expected: {shown(expected) or 'no tool'}"
                    f"\n    got:      {shown(got) or 'no tool'}"
                    f"\n    reply:    {response.json()['message']['content'][:120]!r}"
                )
            await tasks.undo(actions)
    assert not crashes, crashes
    rate = 1 - len(failures) / len(CORPUS)
    summary = f"offline corpus: {len(CORPUS) - len(failures)}/{len(CORPUS)} phrases pass ({rate:.1%})"
    with capsys.disabled():
        print("\n" + "\n".join([summary, *failures]))
    assert rate >= PASS_RATE, summary


def test_a_relative_date_resolves_in_the_phrase_zone() -> None:
    # The helper the corpus relies on: day offsets count from the user's today, not UTC's.
    case = Case("x", "Pacific/Auckland", [("create_task", {"title": "x", "due_date": 1})])
    assert expected_calls(case, {})[0][1]["due_date"] == (date(2026, 11, 22)).isoformat()
