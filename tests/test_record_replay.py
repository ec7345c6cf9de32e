"""Recording conversations, replaying them (provider, runner, CLI, pytest plugin), transcripts."""

import asyncio
import json
import shutil
from pathlib import Path

import httpx2
import pytest
import respx

from agent.replay.__main__ import main as replay_cli
from agent.replay.cassette import CassetteError, load
from agent.replay.runner import replay
from backend.app import create_app
from db.models import Priority
from tests.conftest import AuthedUser, asgi_client, make_settings, register
from tests.fake_llm import (
    bridge,
    chat_app,
    chat_events,
    function_call,
    message,
    openai_model,
    responses_frames,
    router,
    sse,
)
from tests.servers import serve

SECRET = "sk-test-must-never-be-written"
MESSAGES = ["add milk", "what did you add?"]


def scripted() -> respx.Router:
    mock = router()
    mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("create_task", {"title": "Milk"}, call_id="c1"))),
            sse(responses_frames(message("Added Milk."))),
            sse(responses_frames(message("I added Milk."))),
        ]
    )
    return mock


async def record_conversation(database_url: str, directory: Path) -> tuple[Path, AuthedUser, str]:
    settings = make_settings(
        database_url,
        llm_provider="openai",
        openai_api_key=SECRET,
        llm_max_retries=0,
        openai_base_url="https://api.openai.com/v1",
        llm_model="gpt-test",
        llm_record_dir=str(directory),
    )
    app = create_app(settings, llm_transport=bridge(scripted()))
    async with app.router.lifespan_context(app):
        async with asgi_client(app) as client:
            user = await register(client)
        conversation = None
        for text in MESSAGES:
            body = {"message": text} | ({"conversation_id": conversation} if conversation else {})
            events = await chat_events(app, user.token, body, headers={"X-Timezone": "Europe/Paris"})
            conversation = events[0][2]["conversation_id"]
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
    assert [c["name"] for c in turn["tool_calls"]] == ["create_task"]
    assert [t["title"] for t in turn["tasks"]] == ["Milk"]
    text = path.read_text().lower()
    assert SECRET.lower() not in text and "bearer" not in text and "authorization" not in text
    assert conversation in path.name


async def test_replay_runner_passes_and_the_provider_serves_the_recording(
    database_url: str, tmp_path: Path
) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    report = await replay(load(path), database_url=database_url)
    assert report.passed, report.describe()
    assert [t.seq for t in report.turns] == [1, 2]

    app = create_app(make_settings(database_url, llm_provider="replay", llm_cassette=str(path)))
    async with app.router.lifespan_context(app):
        async with asgi_client(app) as client:
            user = await register(client)
        first = await chat_events(app, user.token, {"message": "add milk"})
        second = await chat_events(
            app,
            user.token,
            {"message": "what did you add?", "conversation_id": first[0][2]["conversation_id"]},
        )
        exhausted = await chat_events(app, user.token, {"message": "and now?"})
    assert first[-2][2]["content"] == "Added Milk." and second[-2][2]["content"] == "I added Milk."
    assert exhausted[-1][0] == "error" and exhausted[-1][2]["code"] == "replay_exhausted"


async def test_a_changed_tool_fails_the_replay_with_a_diff(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _, _ = await record_conversation(database_url, tmp_path)
    original = __import__("tools.registry", fromlist=["create_task"]).create_task

    async def low_by_default(session, data, **kwargs):  # a different default priority
        if "priority" not in data.model_fields_set:
            data = data.model_copy(update={"priority": Priority.low})
        return await original(session, data, **kwargs)

    monkeypatch.setattr("tools.registry.create_task", low_by_default)
    report = await replay(load(path), database_url=database_url)
    assert not report.passed
    (failure,) = [t for t in report.turns if not t.passed]
    assert failure.seq == 1
    assert any("priority" in d and '"medium" -> now "low"' in d for d in failure.differences), (
        failure.differences
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


def test_the_library_replays(tmp_path: Path, pytester: pytest.Pytester) -> None:
    conversations = pytester.path / "conversations"
    conversations.mkdir()
    library = Path(__file__).parent / "conversations"
    shutil.copy(library / "01-add-and-list.responses.jsonl", conversations)
    lines = (library / "07-not-found.responses.jsonl").read_text().splitlines()
    # The recorded requests say "dragon" where the user's message (in the turn line) says "unicorn".
    tampered = [line.replace("unicorn", "dragon") if '"kind": "exchange"' in line else line for line in lines]
    (conversations / "07-tampered.jsonl").write_text("\n".join(tampered) + "\n")
    result = pytester.runpytest_subprocess(
        "-p",
        "agent.replay.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "-W",
        "ignore::DeprecationWarning",
        str(conversations),
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*differs from the recording*dragon*unicorn*"])


async def test_transcripts_replay_too(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mock = router()
    mock.post("/responses").mock(
        side_effect=[
            sse(responses_frames(function_call("create_task", {"title": "Soap"}, call_id="c1"))),
            sse(responses_frames(message("Added Soap."))),
        ]
    )
    async with chat_app(database_url, openai_model(mock)) as app, asgi_client(app) as client:
        user = await register(client)
        first = await chat_events(app, user.token, {"message": "add soap"})
        conversation_id = first[0][2]["conversation_id"]
        soap = (await client.get("/api/tasks", headers=user.headers)).json()["items"][0]["id"]
        mock.routes[0].side_effect = [  # the model refers to the real id, as a real one would
            sse(responses_frames(function_call("list_tasks", {"search": "soap"}, call_id="c2"))),
            sse(
                responses_frames(
                    function_call("update_task", {"task_id": soap, "completed": True}, call_id="c3")
                )
            ),
            sse(responses_frames(message("Done."))),
        ]
        await chat_events(app, user.token, {"message": "soap is done", "conversation_id": conversation_id})
        transcript = (
            await client.get(f"/api/conversations/{conversation_id}/export", headers=user.headers)
        ).json()
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
    app = create_app(make_settings(database_url, llm_provider="replay", llm_cassette=str(path)))
    async with app.router.lifespan_context(app), serve(app) as base:
        async with httpx2.AsyncClient(base_url=base) as client:
            user = await register(client)
        report = await replay(load(path), base_url=base, token=user.token)
    assert report.passed, report.describe()
