"""Running chat turns.

A turn runs as its own task, detached from the HTTP request: the request only reads the events
it produces. A client that disconnects therefore cannot cut a turn short, and everything the
turn does is stored whoever is listening. Nothing lives in memory between turns: the history
comes from the database each time, and a database lease serialises the turns of a conversation
across instances.
"""

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from agents import Agent, ModelSettings, RunConfig, Runner
from agents.items import ToolCallOutputItem
from agents.result import RunResultStreaming
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.config import AgentSettings, ChatSettings
from agent.context import ChatContext, current_turn
from agent.events import (
    EVENTS_PER_TURN,
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    TurnDone,
    TurnEvent,
    TurnFailed,
    Usage,
)
from agent.failures import TurnFailure, classify
from agent.function_tools import ToolOutcome, task_tools
from agent.instructions import instructions
from agent.memory import ConversationMemory
from agent.providers import ChatModel, model_name
from agent.stream import translate
from agent.turns import StartedTurn, finish_turn, renew_lease, start_turn

log = logging.getLogger(__name__)


class RunningTurn:
    """The events of one turn, in order, each with its id; ends with `done` or `error`."""

    def __init__(self, started: StartedTurn) -> None:
        self.started = started
        self._queue: asyncio.Queue[TurnEvent | None] = asyncio.Queue()
        self._count = 0

    def emit(self, event: ChatEvent) -> None:
        self._count += 1
        self._queue.put_nowait(TurnEvent(self.started.seq * EVENTS_PER_TURN + self._count, event))

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def events(self) -> AsyncIterator[TurnEvent]:
        while (event := await self._queue.get()) is not None:
            yield event


@dataclass(frozen=True)
class FinishedTurn:
    """A turn once stored: what observers (the recorder, metrics) are told."""

    context: ChatContext
    message: str
    reply: str | None
    error: TurnFailure | None
    usage: Usage
    tools: list[ToolOutcome] = field(default_factory=list)  # each call: its id, tool and audit row


class TurnObserver(Protocol):
    async def turn_finished(self, turn: FinishedTurn) -> None: ...


@dataclass
class _Outcome:
    reply: str | None
    usage: Usage
    error: TurnFailure | None
    tools: list[ToolOutcome]
    model: str


class ChatService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: ChatModel,
        *,
        agent: AgentSettings,
        chat: ChatSettings,
        history_max_items: int,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        observers: Sequence[TurnObserver] = (),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._model = model
        self._settings = chat
        self._history_max_items = history_max_items
        self._max_steps = agent.max_steps
        self._tracing = agent.tracing
        self._clock = clock  # the user's "now", in their time zone
        self._observers = observers
        self._agent = Agent[ChatContext](
            name="todo-assistant",
            instructions=instructions,
            tools=task_tools(),
            model_settings=ModelSettings(include_usage=True),  # Chat Completions streams usage only if asked
        )
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self,
        session: AsyncSession,
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID | None,
        message: str,
        timezone: ZoneInfo,
        request_id: str | None,
    ) -> RunningTurn:
        """Take the conversation's lease and store the message (committing, so the request's
        connection is free again), then run the turn in the background. Without a conversation,
        a new one is started."""
        started = await start_turn(
            session,
            user_id=user_id,
            conversation_id=conversation_id,
            message=message,
            lease_s=self._settings.lease_s,
            history_limit=self._history_max_items,
        )
        running = RunningTurn(started)
        running.emit(
            ConversationStarted(conversation_id=started.conversation_id, user_message_id=started.turn_id)
        )
        ctx = ChatContext(
            user_id=user_id,
            sessionmaker=self._sessionmaker,
            conversation_id=started.conversation_id,
            turn_id=started.turn_id,
            seq=started.seq,
            request_id=request_id,
            timezone=timezone,
            now=self._clock(timezone),
        )
        task = asyncio.create_task(self._run(running, ctx, message), name=f"chat-turn-{started.turn_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return running

    async def _run(self, running: RunningTurn, ctx: ChatContext, message: str) -> None:
        current_turn.set(ctx)  # this task's own context: model calls made for it know the turn
        started = running.started
        memory = ConversationMemory(
            self._sessionmaker,
            user_id=ctx.user_id,
            conversation_id=ctx.conversation_id,
            turn_id=ctx.turn_id,
            limit=self._history_max_items,
            history=started.history,
        )
        try:
            outcome = await self._execute(running, ctx, memory, message)
            await self._store(started, memory, outcome)
            finished = FinishedTurn(ctx, message, outcome.reply, outcome.error, outcome.usage, outcome.tools)
            for observer in self._observers:
                await _tell(observer, finished)
            if outcome.error:
                running.emit(TurnFailed(code=outcome.error.code, message=outcome.error.message))
            else:
                running.emit(
                    MessageCompleted(message_id=started.assistant_message_id, content=outcome.reply or "")
                )
                actions = [tool.action for tool in outcome.tools if tool.action is not None]
                running.emit(
                    TurnDone(conversation_id=ctx.conversation_id, usage=outcome.usage, actions=actions)
                )
        finally:
            running.close()

    async def _execute(
        self, running: RunningTurn, ctx: ChatContext, memory: ConversationMemory, message: str
    ) -> _Outcome:
        """Run the agent, relaying its events as they come."""
        heartbeat = asyncio.create_task(self._keep_lease(running.started))
        model = self._model.for_turn(ctx)
        config = RunConfig(model=model, tracing_disabled=not self._tracing)
        deadline = asyncio.timeout(self._settings.turn_timeout_s)
        result: RunResultStreaming | None = None
        try:
            async with deadline:
                result = Runner.run_streamed(
                    self._agent,
                    message,
                    context=ctx,
                    session=memory,
                    max_turns=self._max_steps,
                    run_config=config,
                )
                async for sdk_event in result.stream_events():
                    event = translate(sdk_event)
                    if event is not None:
                        running.emit(event)
            if deadline.expired():  # the SDK swallowed the cancellation: the deadline still counts
                raise TimeoutError
            return _Outcome(
                str(result.final_output or ""), _usage(result), None, _tools(result), model_name(model)
            )
        except Exception as exc:
            if result is not None and not result.is_complete:
                result.cancel()
            error = classify(exc, deadline_expired=deadline.expired())
            return _Outcome(None, _usage(result), error, _tools(result), model_name(model))
        finally:
            heartbeat.cancel()

    async def _store(self, turn: StartedTurn, memory: ConversationMemory, outcome: _Outcome) -> None:
        try:
            async with self._sessionmaker() as session:
                await finish_turn(
                    session,
                    turn,
                    reply=outcome.reply,
                    usage=outcome.usage,
                    model=outcome.model,
                    items=memory.rows(),
                    error=outcome.error,
                )
        except Exception:  # the lease expires by itself; the next turn marks this one interrupted
            log.exception("could not store the outcome of turn %s", turn.turn_id)

    async def _keep_lease(self, turn: StartedTurn) -> None:
        while True:
            # Renew at about half the lease, jittered: turns that started together (a burst of
            # chats) must not all renew in the same instant and queue up for connections.
            await asyncio.sleep(self._settings.lease_s * random.uniform(0.35, 0.55))  # noqa: S311
            try:
                async with self._sessionmaker() as session:
                    if not await renew_lease(session, turn, self._settings.lease_s):
                        log.warning(
                            "turn %s lost its lease on conversation %s", turn.turn_id, turn.conversation_id
                        )
            except Exception:  # the next beat tries again; the turn itself goes on
                log.warning("could not renew the lease of turn %s", turn.turn_id, exc_info=True)

    async def shutdown(self, grace_s: float = 10.0) -> None:
        """Let running turns finish (they are someone's reply); cancel what is left after the grace."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _usage(result: RunResultStreaming | None) -> Usage:
    if result is None:
        return Usage()
    return Usage.model_validate(result.context_wrapper.usage, from_attributes=True)


def _tools(result: RunResultStreaming | None) -> list[ToolOutcome]:
    """The turn's tool calls that ran, in order, from the items the SDK kept."""
    if result is None:
        return []
    return [
        item.output
        for item in result.new_items
        if isinstance(item, ToolCallOutputItem) and isinstance(item.output, ToolOutcome)
    ]


async def _tell(observer: TurnObserver, turn: FinishedTurn) -> None:
    try:
        await observer.turn_finished(turn)
    except Exception:  # an observer (the recorder, say) must never break the turn it watches
        log.exception("turn observer %r failed", observer)
