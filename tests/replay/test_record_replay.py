"""Recording conversations, replaying them (provider, runner, CLI, pytest plugin), transcripts."""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.app import create_app
from db.models import Priority
from replay.__main__ import main as replay_cli
from replay.cassette import CassetteError, load
from replay.runner import replay
from replay.wiring import wire
from tests.chat import chat_app
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser, make_user
from tests.provider import BASE_URL, ScriptedProvider, call, failure, text
from tools import tasks
from tools.schemas import TaskCreate, TaskPublic
from wire.server import serving

SECRET = "sk-test-must-never-be-written-0123456789"
MESSAGES = ["add milk", "what did you add?"]
LIBRARY = Path(__file__).resolve().parents[1] / "conversations"


def recording_settings(database_url: str, directory: Path) -> Any:
    return make_settings(
        database_url,
        llm={"provider": "openai", "max_retries": 0, "model": "gpt-test", "record_dir": str(directory)},
        openai={"api_key": SECRET, "base_url": BASE_URL},
    )


async def record_conversation(database_url: str, directory: Path) -> tuple[Path, AuthedUser, str]:
    provider = ScriptedProvider(
        call("create_task", {"title": "Milk"}, call_id="c1"), text("Added Milk."), text("I added Milk.")
    )
    wiring = wire(recording_settings(database_url, directory), provider.transport())
    app = create_app(wiring.settings, llm_transport=wiring.transport, observers=wiring.observers)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        conversation = None
        for message in MESSAGES:
            body = {"message": message} | ({"conversation_id": conversation} if conversation else {})
            headers = {**user.headers, "X-Timezone": "Europe/Paris"}
            async with client.sse("/api/chat", method="POST", json=body, headers=headers) as source:
                events = [json.loads(e.data) async for e in source]
            conversation = events[0]["conversation_id"]
    assert conversation is not None
    return directory / f"{conversation}.jsonl", user, conversation


async def test_recording_writes_a_cassette_without_secrets(database_url: str, tmp_path: Path) -> None:
    path, _, conversation = await record_conversation(database_url, tmp_path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["exchange", "exchange", "turn", "exchange", "turn"]
    first = records[0]
    assert first["request"]["method"] == "POST" and first["request"]["path"] == "/v1/responses"
    assert first["request"]["body"]["model"] == "gpt-test" and first["request"]["body"]["stream"] is True
    assert first["response"]["status"] == 200 and "response.completed" in first["response"]["body"]
    assert set(first["response"]["headers"]) <= {"content-type", "openai-model", "x-request-id"}
    turn = records[2]
    assert (turn["message"], turn["timezone"], turn["reply"]) == ("add milk", "Europe/Paris", "Added Milk.")
    assert [(c["call_id"], c["name"], c["status"]) for c in turn["tool_calls"]] == [
        ("c1", "create_task", "ok")
    ]
    assert [t["title"] for t in turn["tasks"]] == ["Milk"]
    written = path.read_text().lower()
    assert SECRET.lower() not in written and "bearer" not in written and "authorization" not in written
    assert conversation in path.name


async def test_a_provider_that_echoes_credentials_leaves_none_in_the_cassette(
    database_url: str, tmp_path: Path
) -> None:
    echo = (
        f"Incorrect API key provided: {SECRET}. Header was Bearer {SECRET}; "
        "also seen: sk-proj-abcdefghijklmnopqrstuvwxyz012345 and AIzaSyA1234567890abcdefghijklmnopqrstuv"
    )
    provider = ScriptedProvider(failure(401, echo))
    wiring = wire(recording_settings(database_url, tmp_path), provider.transport())
    app = create_app(wiring.settings, llm_transport=wiring.transport, observers=wiring.observers)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)
        response = await client.post(
            "/api/chat", json={"message": "hi", "stream": False}, headers=user.headers
        )
    assert response.json()["error"]["code"] == "model_auth_failed"
    (path,) = await asyncio.to_thread(lambda: list(tmp_path.glob("*.jsonl")))
    written = path.read_text()
    for leaked in (
        SECRET,
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
    ):
        assert leaked not in written
    assert "Incorrect API key provided: [redacted]" in written, "the rest of the body is kept"


async def test_replay_runner_passes_and_the_provider_serves_the_recording(
    database_url: str, tmp_path: Path
) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    report = await replay(load(path), database_url=database_url)
    assert report.passed, report.describe()
    assert [t.seq for t in report.turns] == [1, 2]

    wiring = wire(make_settings(database_url, llm={"provider": "replay", "cassette": str(path)}))
    app = create_app(wiring.settings, llm_transport=wiring.transport)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        user = await make_user(app)

        async def say(message: str, conversation_id: str | None = None) -> list[Any]:
            body = {"message": message} | ({"conversation_id": conversation_id} if conversation_id else {})
            headers = {**user.headers, "X-Timezone": "Europe/Paris"}  # as recorded
            async with client.sse("/api/chat", method="POST", json=body, headers=headers) as source:
                return [(e.event, e.json()) async for e in source]

        first = await say("add milk")
        second = await say("what did you add?", first[0][1]["conversation_id"])
        exhausted = await say("and now?")
    assert first[-2][1]["content"] == "Added Milk." and second[-2][1]["content"] == "I added Milk."
    assert exhausted[-1][0] == "error" and exhausted[-1][1]["code"] == "replay_exhausted"


async def test_a_changed_tool_fails_the_replay_with_a_diff(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    original = tasks.create_task._effect

    async def low_by_default(session: AsyncSession, args: TaskCreate, *, user_id: Any) -> TaskPublic:
        if "priority" not in args.model_fields_set:  # a different default priority
            args = args.model_copy(update={"priority": Priority.low})
        return await original(session, args, user_id=user_id)

    monkeypatch.setattr(tasks.create_task, "_effect", low_by_default)
    report = await replay(load(path), database_url=database_url)
    assert not report.passed
    (failure_,) = [t for t in report.turns if not t.passed]
    assert failure_.seq == 1
    assert any("priority" in d and '"medium" -> now "low"' in d for d in failure_.differences), (
        failure_.differences
    )
    sequential = await replay(load(path), mode="sequential", database_url=database_url)
    assert any("tasks[0].priority" in d for t in sequential.turns for d in t.differences)


async def test_the_cli(database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    assert await asyncio.to_thread(replay_cli, [str(tmp_path)]) == 0
    assert "pass" in capsys.readouterr().out

    truncated = tmp_path / "truncated" / "cut.jsonl"
    truncated.parent.mkdir()
    truncated.write_text(path.read_text()[: len(path.read_text()) // 2])
    assert await asyncio.to_thread(replay_cli, [str(truncated)]) == 2
    assert "truncated" in capsys.readouterr().err

    short = tmp_path / "short" / "short.jsonl"
    short.parent.mkdir()
    lines = path.read_text().splitlines()
    last_exchange = max(i for i, line in enumerate(lines) if '"kind": "exchange"' in line)
    short.write_text("\n".join(lines[:last_exchange] + lines[last_exchange + 1 :]) + "\n")
    assert await asyncio.wait_for(asyncio.to_thread(replay_cli, [str(short)]), 60) == 1, (
        "out of responses: no hang"
    )
    out = capsys.readouterr().out
    assert "turn  2  FAIL" in out and "2 recorded responses and all were used" in out


def test_truncated_cassette_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"version": 1, "kind": "exchange", "turn": 1, "request": {"path": "/v1/res')
    with pytest.raises(CassetteError, match=r"broken.jsonl:1: .*truncated"):
        load(broken)


def test_the_library_replays_through_the_pytest_plugin(pytester: pytest.Pytester) -> None:
    conversations = pytester.path / "conversations"
    conversations.mkdir()
    shutil.copy(LIBRARY / "01-add-and-list.responses.jsonl", conversations)
    lines = (LIBRARY / "07-not-found.responses.jsonl").read_text().splitlines()
    # The recorded requests say "dragon" where the user's message (in the turn line) says "unicorn".
    tampered = [line.replace("unicorn", "dragon") if '"kind": "exchange"' in line else line for line in lines]
    (conversations / "07-tampered.jsonl").write_text("\n".join(tampered) + "\n")
    result = pytester.runpytest_subprocess(
        "-p", "replay.pytest_plugin", "-p", "no:cacheprovider", str(conversations)
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*differs from the recording*dragon*unicorn*"])


async def test_transcripts_replay_too(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with chat_app(
        database_url, call("create_task", {"title": "Soap"}, call_id="c1"), text("Added Soap.")
    ) as chat:
        first = await chat.events("add soap")
        conversation_id = first[0][2]["conversation_id"]
        soap = (await chat.get("/api/tasks"))["items"][0]["id"]
        chat.provider.script(  # the model refers to the real id, as a real one would
            call("list_tasks", {"search": "soap"}, call_id="c2"),
            call("update_task", {"task_id": soap, "completed": True}, call_id="c3"),
            text("Done."),
        )
        await chat.events("soap is done", conversation_id)
        transcript = await chat.get(f"/api/conversations/{conversation_id}/export")
    path = tmp_path / "soap.json"
    path.write_text(json.dumps(transcript))
    assert await asyncio.to_thread(replay_cli, [str(path)]) == 0, capsys.readouterr().out
    capsys.readouterr()

    # The transcript's model is replayed as written; what is checked is what the backend did with it.
    transcript["turns"][1]["tool_calls"][1]["status"] = "error"
    path.write_text(json.dumps(transcript))
    assert await asyncio.to_thread(replay_cli, [str(path)]) == 1
    assert "tool calls[1].status" in capsys.readouterr().out


async def test_replay_against_a_running_server(database_url: str, tmp_path: Path) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    wiring = wire(make_settings(database_url, llm={"provider": "replay", "cassette": str(path)}))
    app = create_app(wiring.settings, llm_transport=wiring.transport)
    async with app.router.lifespan_context(app), serving(app) as base:
        user = await make_user(app)
        report = await replay(load(path), base_url=base, token=user.token)
    assert report.passed, report.describe()


def test_the_entry_point_wires_recording_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_RECORD_DIR", str(tmp_path / "recorded"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    import importlib

    import backend.main

    main = importlib.reload(backend.main)
    assert [type(o).__name__ for o in main.wiring.observers] == ["Recorder"]
    assert (tmp_path / "recorded").is_dir()
    assert isinstance(main.wiring.transport, httpx2.AsyncBaseTransport)
