"""The built-in offline model: each phrase family through the real SDK loop, tools and database,
with date words resolved against a fixed "today" in the user's time zone."""

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

from agent.chat import ChatService, events
from agent.config import AgentSettings, ChatSettings
from agent.events import ConversationStarted, MessageCompleted, ToolCalled, TurnDone
from agent.offline.dates import find_date
from agent.providers import LlmSettings, OpenAISettings, build_model
from agent.turns import TurnCaps
from tests.factories import AuthedUser

# Friday 20 November, 23:30 UTC: already Saturday 21 November in Auckland (UTC+13).
NOW = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
AUCKLAND, UTC_ZONE = ZoneInfo("Pacific/Auckland"), ZoneInfo("UTC")


class Chat:
    def __init__(self, app: FastAPI, user: AuthedUser, zone: ZoneInfo = AUCKLAND) -> None:
        self.service = ChatService(
            app.state.sessionmaker,
            build_model(LlmSettings(provider="offline"), OpenAISettings()),
            agent=AgentSettings(),
            chat=ChatSettings(),
            history_max_items=50,
            caps=TurnCaps(per_user=10),
            clock=lambda tz: NOW.astimezone(tz),
        )
        self.app, self.user_id, self.zone = app, uuid.UUID(user.id), zone
        self.conversation_id: uuid.UUID | None = None

    async def say(self, text: str) -> tuple[list[ToolCalled], str]:
        turn = await self.service.start(
            user_id=self.user_id,
            conversation_id=self.conversation_id,
            message=text,
            timezone=self.zone,
            request_id=None,
        )
        seen = [numbered.event async for numbered in events(turn)]
        assert isinstance(seen[0], ConversationStarted)
        self.conversation_id = seen[0].conversation_id
        assert isinstance(seen[-1], TurnDone), seen[-1]
        reply = next(e.content for e in seen if isinstance(e, MessageCompleted))
        return [e for e in seen if isinstance(e, ToolCalled)], reply


def calls(tool_calls: list[ToolCalled]) -> list[tuple[str, dict]]:
    return [(c.name, {k: v for k, v in c.arguments.items() if k != "task_id"}) for c in tool_calls]


async def test_add_with_priority_and_date_words(app: FastAPI, alice: AuthedUser) -> None:
    chat = Chat(app, alice)
    tool_calls, reply = await chat.say("Add a high priority task for Friday to call the dentist")
    assert calls(tool_calls) == [
        ("create_task", {"title": "Call the dentist", "priority": "high", "due_date": "2026-11-27"})
    ]
    assert reply == 'Added "Call the dentist" (high priority, due Friday 2026-11-27).'
    tool_calls, _ = await chat.say("remind me to water the plants tomorrow")
    assert calls(tool_calls) == [("create_task", {"title": "Water the plants", "due_date": "2026-11-22"})]
    tool_calls, _ = await chat.say('add "Pay rent" urgent on 2026-12-01')
    assert calls(tool_calls) == [
        ("create_task", {"title": "Pay rent", "priority": "high", "due_date": "2026-12-01"})
    ]


async def test_today_is_the_users_today(app: FastAPI, alice: AuthedUser, bob: AuthedUser) -> None:
    auckland, _ = await Chat(app, alice, AUCKLAND).say("add buy bread tomorrow")
    utc, _ = await Chat(app, bob, UTC_ZONE).say("add buy bread tomorrow")
    assert auckland[0].arguments["due_date"] == "2026-11-22"
    assert utc[0].arguments["due_date"] == "2026-11-21"
    friday, _ = await Chat(app, bob, UTC_ZONE).say("add call mom on Friday")
    assert friday[0].arguments["due_date"] == "2026-11-20", "Friday is today in UTC"


async def test_list_and_filters(app: FastAPI, alice: AuthedUser) -> None:
    chat = Chat(app, alice)
    await chat.say("add a high priority task to file taxes tomorrow")
    await chat.say("add a low priority task to sort photos")
    tool_calls, reply = await chat.say("show my pending tasks")
    assert calls(tool_calls) == [("list_tasks", {"status": "pending"})]
    assert reply.startswith("You have 2 pending tasks:")
    tool_calls, reply = await chat.say("what's high priority?")
    assert calls(tool_calls) == [("list_tasks", {"priority": "high"})]
    assert reply == "You have 1 high priority task:\n- File taxes (high priority, due Sunday 2026-11-22)"
    tool_calls, reply = await chat.say("what is due tomorrow")
    assert calls(tool_calls) == [
        ("list_tasks", {"due_before": "2026-11-22", "due_after": "2026-11-22", "sort_by": "due_date"})
    ]
    assert "File taxes" in reply and "Sort photos" not in reply
    _, reply = await chat.say("show completed tasks")
    assert reply == "You have no completed tasks."


async def test_find_then_act(app: FastAPI, alice: AuthedUser) -> None:
    chat = Chat(app, alice)
    await chat.say("add call the dentist on Friday")
    tool_calls, reply = await chat.say("mark the dentist task done")
    assert calls(tool_calls) == [
        ("list_tasks", {"search": "dentist", "limit": 10}),
        ("update_task", {"completed": True}),
    ]
    assert reply == 'Updated "Call the dentist": marked as done.'
    _, reply = await chat.say("complete the dentist task")
    assert reply == '"Call the dentist" is already done.'
    tool_calls, _ = await chat.say("reopen the dentist task")
    assert calls(tool_calls)[-1] == ("update_task", {"completed": False})
    tool_calls, reply = await chat.say("rename the dentist task to Call Dr. Smith")
    assert calls(tool_calls)[-1] == ("update_task", {"title": "Call Dr. Smith"})
    tool_calls, reply = await chat.say("move smith to next monday")
    assert calls(tool_calls)[-1] == ("update_task", {"due_date": "2026-11-23"})
    assert reply == 'Updated "Call Dr. Smith": now due Monday 2026-11-23.'
    tool_calls, _ = await chat.say("make smith high priority")
    assert calls(tool_calls)[-1] == ("update_task", {"priority": "high"})
    tool_calls, _ = await chat.say("remove the due date from smith")
    assert calls(tool_calls)[-1] == ("update_task", {"due_date": None})
    tool_calls, reply = await chat.say("show the smith task")
    assert calls(tool_calls)[-1][0] == "read_task"
    assert reply == '"Call Dr. Smith": high priority, no due date, not done yet.'
    tool_calls, reply = await chat.say("delete the smith task")
    assert calls(tool_calls)[-1][0] == "delete_task"
    assert reply == 'Deleted "Call Dr. Smith".'


async def test_not_found_ambiguous_and_wide_search(app: FastAPI, alice: AuthedUser) -> None:
    chat = Chat(app, alice)
    tool_calls, reply = await chat.say("delete the unicorn task")
    assert [c.name for c in tool_calls] == [
        "list_tasks"
    ] and reply == 'I couldn\'t find a task matching "unicorn".'
    await chat.say("add report for Acme")
    await chat.say("add report for Globex")
    tool_calls, reply = await chat.say("delete the report")
    assert [c.name for c in tool_calls] == ["list_tasks"]
    assert reply.startswith('I found 2 tasks matching "report"') and reply.endswith("Which one do you mean?")
    await chat.say("add draft of the quarterly summary")
    tool_calls, reply = await chat.say("complete the summary draft")
    assert calls(tool_calls) == [
        ("list_tasks", {"search": "summary draft", "limit": 10}),
        ("list_tasks", {"limit": 100}),
        ("update_task", {"completed": True}),
    ]


async def test_help_and_follow_up_question(app: FastAPI, alice: AuthedUser) -> None:
    chat = Chat(app, alice)
    tool_calls, reply = await chat.say("hello")
    assert tool_calls == [] and reply.startswith("I can add, list, complete")
    tool_calls, reply = await chat.say("add a high priority task for Friday")
    assert tool_calls == [] and reply == "What should the new task be called?"
    tool_calls, reply = await chat.say("Renew passport")
    assert calls(tool_calls) == [
        ("create_task", {"title": "Renew passport", "priority": "high", "due_date": "2026-11-27"})
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-21"),
        ("tomorrow", "2026-11-22"),
        ("the day after tomorrow", "2026-11-23"),
        ("on friday", "2026-11-27"),
        ("this saturday", "2026-11-21"),
        ("next friday", "2026-11-27"),
        ("next week", "2026-11-23"),
        ("in 3 days", "2026-11-24"),
        ("in two weeks", "2026-12-05"),
        ("by the end of the month", "2026-11-30"),
        ("this weekend", "2026-11-21"),
        ("Dec 3rd", "2026-12-03"),
        ("the 5th of January", "2027-01-05"),
        ("on 2026-12-24", "2026-12-24"),
        ("November 1", "2027-11-01"),
    ],
)
def test_date_words_on_a_saturday(text: str, expected: str) -> None:
    match = find_date(f"do it {text}", date(2026, 11, 21))
    assert match is not None and match.value.isoformat() == expected


def test_next_weekday_means_next_calendar_week() -> None:
    wednesday = date(2026, 11, 18)
    assert find_date("friday", wednesday).value == date(2026, 11, 20)
    assert find_date("next friday", wednesday).value == date(2026, 11, 27)
    assert find_date("buy sun cream", wednesday) is None and find_date("sat down", wednesday) is None
