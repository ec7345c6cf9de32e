"""Replaying recorded conversations and checking the backend still does the same thing.

Each recorded user turn is sent again — to a fresh in-process app on a throw-away database whose
model is the cassette (and whose clock is the recorded one), or to a running server started with
`LLM_PROVIDER=replay` — and the turn must make the same tool calls with the same arguments, end
with the same task list and give the same reply (see `compare` for what may differ).
"""

import asyncio
import json
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from pydantic import SecretStr

from agent.providers import LlmSettings, OpenAISettings
from backend.app import create_app
from backend.logs import LogSettings
from backend.ratelimit import RateSettings
from backend.security import JwtSettings
from backend.settings import Settings
from db.migrate import upgrade
from replay.cassette import Cassette, RecordedTurn, task_view
from replay.compare import Normalizer, first_difference
from replay.transcript_model import TranscriptModel
from replay.transport import ReplayMode, replay_transport
from tools.schemas import ActionPublic


@dataclass
class TurnReport:
    seq: int
    message: str
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass
class Report:
    name: str
    turns: list[TurnReport] = field(default_factory=list)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(t.passed for t in self.turns)

    def describe(self) -> str:
        lines = [f"{self.name}: {'pass' if self.passed else 'FAIL'}"]
        if self.error:
            lines.append(f"  error: {self.error}")
        for turn in self.turns:
            lines.append(f"  turn {turn.seq:>2}  {'pass' if turn.passed else 'FAIL'}  {turn.message[:60]}")
            lines.extend(f"           {d}" for d in turn.differences)
        return "\n".join(lines)


@dataclass
class Seen:
    """What one turn did, as a client of the chat API sees it."""

    tool_calls: list[dict[str, Any]]
    reply: str | None
    error: str | None
    tasks: list[dict[str, Any]]


class Side:
    """One side of the comparison (recorded or replayed): ids numbered across the conversation."""

    def __init__(self) -> None:
        self.normalizer = Normalizer(None)

    def view(self, value: Any, today: date) -> Any:
        self.normalizer.today = today
        return self.normalizer(value)


def compare_turn(
    recorded: RecordedTurn, seen: Seen, sides: tuple[Side, Side], today_now: date, ignore_text: bool
) -> list[str]:
    then, now = sides
    today_then = recorded.today
    differences = []
    if (recorded.error or None) != seen.error:
        differences.append(
            f"outcome: recorded {recorded.error or 'success'} -> now {seen.error or 'success'}"
        )
    checks: list[tuple[str, Any, Any]] = [
        ("tool calls", [_call(c) for c in recorded.tool_calls], [_call(c) for c in seen.tool_calls])
    ]
    if recorded.tasks is not None:
        checks.append(("tasks", recorded.tasks, seen.tasks))
    if not ignore_text:
        checks.append(("reply", recorded.reply, seen.reply))
    for label, before, after in checks:
        difference = first_difference(then.view(before, today_then), now.view(after, today_now))
        if difference:
            differences.append(
                f"{label}{difference if difference.startswith(('.', '[')) else ': ' + difference}"
            )
    return differences


def _call(call: dict[str, Any]) -> dict[str, Any]:
    return {"name": call["name"], "arguments": call["arguments"], "status": call["status"]}


class ChatClient:
    """The chat API as the runner drives it, in-process or over the network."""

    def __init__(self, client: httpx2.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}
        self.conversation_id: str | None = None

    async def turn(self, message: str, timezone: str) -> Seen:
        body: dict[str, Any] = {"message": message}
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        reply: str | None = None
        error: str | None = None
        headers = {**self.headers, "X-Timezone": timezone}
        async with self.client.sse("/api/chat", method="POST", json=body, headers=headers) as source:
            async for event in source:
                data: dict[str, Any] = json.loads(event.data)
                if event.event == "conversation":
                    self.conversation_id = data["conversation_id"]
                elif event.event == "message":
                    reply = data["content"]
                elif event.event == "error":
                    error = data["code"]
                    if data["code"].startswith("replay_"):
                        raise ReplayFailed(data["message"])
        return Seen(await self.actions(), reply, error, await self.tasks())

    async def actions(self) -> list[dict[str, Any]]:
        """The turn's audit rows: what the tools were asked and how it went (the recorder's source too)."""
        detail = (
            await self.client.get(f"/api/conversations/{self.conversation_id}", headers=self.headers)
        ).json()
        actions = [ActionPublic.model_validate(a) for a in detail["turns"][-1]["actions"]]
        return [action.tool_call().model_dump(mode="json") for action in actions]

    async def tasks(self) -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"limit": 100, "sort_by": "created_at"}
        page = (await self.client.get("/api/tasks", params=params, headers=self.headers)).json()
        return [task_view(task) for task in page["items"]]


class ReplayFailed(Exception):
    pass


async def replay(
    cassette: Cassette,
    *,
    model: TranscriptModel | None = None,
    mode: ReplayMode = "strict",
    ignore_text: bool = False,
    database_url: str | None = None,
    base_url: str | None = None,
    token: str | None = None,
) -> Report:
    """Replay one conversation; `model` replays a transcript (see `transcript_model.load_source`)."""
    report = Report(cassette.name)
    sides = (Side(), Side())
    try:
        async with _chat_client(cassette, model, mode, database_url, base_url, token) as (chat, clock):
            for index, recorded in enumerate(cassette.turns):
                clock.now = recorded.now
                if model is not None:
                    model.turn = index
                outcome = TurnReport(recorded.seq, recorded.message)
                report.turns.append(outcome)
                try:
                    seen = await chat.turn(recorded.message, recorded.timezone)
                except ReplayFailed as exc:
                    outcome.differences.append(str(exc))
                    break
                today_now = (
                    clock.today(recorded.timezone)
                    if base_url is None
                    else datetime.now(ZoneInfo(recorded.timezone)).date()
                )
                outcome.differences = compare_turn(recorded, seen, sides, today_now, ignore_text)
    except (httpx2.HTTPError, OSError, ValueError, KeyError) as exc:
        report.error = f"{type(exc).__name__}: {exc}"
    return report


@dataclass
class Clock:
    now: datetime

    def __call__(self, tz: ZoneInfo) -> datetime:
        return self.now.astimezone(tz)

    def today(self, timezone: str) -> date:
        return self(ZoneInfo(timezone)).date()


@asynccontextmanager
async def _chat_client(
    cassette: Cassette,
    model: TranscriptModel | None,
    mode: ReplayMode,
    database_url: str | None,
    base_url: str | None,
    token: str | None,
) -> AsyncIterator[tuple[ChatClient, Clock]]:
    clock = Clock(cassette.turns[0].now)
    if base_url is not None:
        if not token:
            raise ValueError("--base-url needs --token (a fresh user's, so the task lists compare)")
        async with httpx2.AsyncClient(base_url=base_url, timeout=120) as client:
            yield ChatClient(client, token), clock
        return
    async with (
        _in_process_app(cassette, model, mode, database_url, clock) as app,
        httpx2.AsyncClient(
            transport=httpx2.ASGITransport(app=app), base_url="http://replay", timeout=120
        ) as client,
    ):
        email = f"replay-{uuid.uuid4().hex[:12]}@example.com"
        registered = await client.post(
            "/api/auth/register", json={"email": email, "password": "replay-password"}
        )
        yield ChatClient(client, registered.json()["access_token"]), clock


@asynccontextmanager
async def _in_process_app(
    cassette: Cassette,
    model: TranscriptModel | None,
    mode: ReplayMode,
    database_url: str | None,
    clock: Callable[[ZoneInfo], datetime],
) -> AsyncIterator[Any]:
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        url = database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'replay.db'}"
        await asyncio.to_thread(upgrade, url)  # Alembic runs its own event loop
        settings = Settings(
            _env_file=None,
            database_url=url,
            environment="test",
            jwt=JwtSettings(secret=SecretStr(uuid.uuid4().hex * 2)),
            log=LogSettings(level="ERROR"),
            llm=LlmSettings(provider="openai", api=cassette.api, model=cassette.model, max_retries=0),
            openai=OpenAISettings(api_key=SecretStr("replay")),
            rate=RateSettings.unlimited(),
        )
        if model is not None:
            app = create_app(settings, model=model, clock=clock)
        else:
            app = create_app(settings, llm_transport=replay_transport(cassette.exchanges, mode), clock=clock)
        async with app.router.lifespan_context(app):
            yield app


def summary_table(reports: list[Report]) -> str:
    rows = [f"{'conversation':<44} {'turns':>5} {'failed':>6}  result"]
    for report in reports:
        failed = sum(not t.passed for t in report.turns) + (1 if report.error else 0)
        rows.append(
            f"{report.name:<44} {len(report.turns):>5} {failed:>6}  {'pass' if report.passed else 'FAIL'}"
        )
    return "\n".join(rows)


def dumps(report: Report) -> str:
    return json.dumps(
        {
            "name": report.name,
            "passed": report.passed,
            "error": report.error,
            "turns": [{"seq": t.seq, "passed": t.passed, "differences": t.differences} for t in report.turns],
        },
        indent=2,
    )
