"""Re-record the conversation library: `python -m tests.conversations.record_library`.

Each conversation below is sent through the real app, with LLM_RECORD_DIR on, to the offline
model served over the OpenAI wire protocols (`replay.offline_server`), on both wire APIs. That
server streams like real providers do — text and tool-call arguments in small, uneven fragments,
ids split across them — so the library proves that replay copes with real streams. No real LLM is
reachable where this library was made; record real-model conversations the same way (see the
README), and drop their cassettes beside these.
"""

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import httpx2
from fastapi import FastAPI
from pydantic import SecretStr

from agent.providers import LlmSettings, OpenAISettings
from backend.app import create_app
from backend.logs import LogSettings
from backend.security import JwtSettings
from backend.settings import Settings
from db.migrate import upgrade
from replay.offline_server import offline_server
from replay.wiring import wire

HERE = Path(__file__).parent
# Friday 20 November 2026, 23:30 UTC: already Saturday morning in Auckland.
NOW = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
LONG_TITLE = "Write the " + "very " * 60 + "long report"

CONVERSATIONS: list[tuple[str, Literal["responses", "chat_completions"], str, list[str]]] = [
    (
        "add-and-list",
        "responses",
        "UTC",
        ["add buy milk tomorrow", "add a high priority task to file taxes on Friday", "show my tasks"],
    ),
    (
        "add-and-list",
        "chat_completions",
        "Europe/Paris",
        ["remind me to call the bank on Monday", "add water the plants", "show my pending tasks"],
    ),
    (
        "find-then-complete",
        "responses",
        "Europe/Paris",
        [
            "add a high priority task for Friday to call the dentist",
            "mark the dentist task done",
            "show completed tasks",
        ],
    ),
    (
        "find-then-delete",
        "chat_completions",
        "UTC",
        ["add buy milk", "add buy eggs tomorrow", "delete the milk task", "list my tasks"],
    ),
    (
        "change-a-task",
        "responses",
        "America/New_York",
        [
            "add write the report",
            "rename the report task to Write the Q4 report",
            "move the report to next monday",
            "make the report low priority",
            "show the report task",
        ],
    ),
    (
        "dates-in-auckland",
        "chat_completions",
        "Pacific/Auckland",
        ["add call mom tomorrow", "add pay rent on Friday", "what is due tomorrow?"],
    ),
    ("not-found", "responses", "UTC", ["delete the unicorn task", "complete the spaceship task"]),
    ("tool-error", "chat_completions", "UTC", [f"add {LONG_TITLE}", "add write the short report"]),
    ("no-tool", "responses", "UTC", ["hello", "thanks"]),
    (
        "ask-for-a-title",
        "chat_completions",
        "Asia/Tokyo",
        ["add a high priority task for tomorrow", "Renew the passport"],
    ),
    (
        "details-and-reopen",
        "chat_completions",
        "UTC",
        [
            "add water the plants on Dec 3rd",
            "mark the plants task done",
            "reopen the plants task",
            "tell me about the plants task",
        ],
    ),
    (
        "ambiguous-name",
        "responses",
        "UTC",
        ["add report for Acme", "add report for Globex", "delete the report", "delete the Globex report"],
    ),
    (
        "long-conversation",
        "responses",
        "Europe/Berlin",
        [
            *(f"add chore number {n} on Friday" for n in range(1, 13)),
            *(f"mark chore number {n} done" for n in range(1, 7)),
            "show my pending tasks",
            "what is due on Friday?",
        ],
    ),
]


async def record(directory: Path) -> list[Path]:
    written = []
    for index, (name, api, timezone, messages) in enumerate(CONVERSATIONS, 1):
        with tempfile.TemporaryDirectory() as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'record.db'}"
            await asyncio.to_thread(upgrade, url)
            settings = Settings(
                _env_file=None,
                database_url=url,
                environment="test",
                jwt=JwtSettings(secret=SecretStr("r" * 48)),
                log=LogSettings(level="ERROR"),
                llm=LlmSettings(
                    provider="openai",
                    api=api,
                    model="offline-rules",
                    max_retries=0,
                    record_dir=str(Path(scratch) / "cassettes"),
                ),
                openai=OpenAISettings(
                    base_url="http://offline.local/v1", api_key=SecretStr("sk-never-written")
                ),
            )
            wiring = wire(settings, httpx2.ASGITransport(app=offline_server()))
            app = create_app(
                wiring.settings,
                llm_transport=wiring.transport,
                observers=wiring.observers,
                clock=lambda tz: NOW.astimezone(tz),
            )
            async with app.router.lifespan_context(app):
                await _converse(app, timezone, messages)
            (cassette,) = Path(scratch, "cassettes").glob("*.jsonl")  # noqa: ASYNC240 (a scratch dir, once)
            target = directory / f"{index:02d}-{name}.{api.replace('_', '-')}.jsonl"
            shutil.copy(cassette, target)
            written.append(target)
    return written


async def _converse(app: FastAPI, timezone: str, messages: list[str]) -> None:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://recorder", timeout=60) as client:
        token = (
            await client.post(
                "/api/auth/register", json={"email": "recorder@example.com", "password": "recording session"}
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "X-Timezone": timezone}
        conversation = None
        for message in messages:
            body = {"message": message, "stream": False} | (
                {"conversation_id": conversation} if conversation else {}
            )
            reply = (await client.post("/api/chat", json=body, headers=headers)).json()
            conversation = reply.get("conversation_id", conversation)


if __name__ == "__main__":
    for path in asyncio.run(record(HERE)):
        print(f"{path.relative_to(HERE)}  {path.stat().st_size // 1024} KiB")
