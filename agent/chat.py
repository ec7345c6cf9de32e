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
from collections.abc import AsyncIterator, Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from agents import Agent, Model, ModelSettings, RunConfig, Runner
from agents.result import RunResultStreaming
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from agent.config import AgentConfig
from agent.context import ChatContext
from agent.events import (
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    TurnDone,
    TurnFailed,
    Usage,
)
from agent.failures import TurnTimeout, classify
from agent.function_tools import task_tools
from agent.instructions import instructions
from agent.providers import model_name
from agent.recording import Recorder, record_turn
from agent.session import ConversationSession
from agent.stream import translate
from agent.turns import StartedTurn, TurnUsage, finish_turn, renew_lease, start_turn

log = logging.getLogger(__name__)
EVENTS_PER_TURN = 1_000_000  # event ids are seq * this + n: unique and increasing in a conversation


@dataclass(frozen=True)
class TurnRequest:
    user_id: uuid.UUID
    conversation_id: uuid.UUID | None
    message: str
    timezone: ZoneInfo
    request_id: str | None


@dataclass(frozen=True)
class Envelope:
    id: int
    event: ChatEvent


class RunningTurn:
    """The events of one turn, in order; ends with `done` or `error`."""

    def __init__(self, turn: StartedTurn) -> None:
        self.turn = turn
        self._queue: asyncio.Queue[Envelope | None] = asyncio.Queue()
        self._count = 0

    def emit(self, event: ChatEvent) -> None:
        self._count += 1
        self._queue.put_nowait(Envelope(self.turn.seq * EVENTS_PER_TURN + self._count, event))

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def events(self) -> AsyncIterator[Envelope]:
        while (envelope := await self._queue.get()) is not None:
            yield envelope


class ChatService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: Model,
        config: AgentConfig,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        recorder: Recorder | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._recorder = recorder
        self._clock = clock  # the user's "now", in their time zone
        self._config = config
        self._model_name = model_name(model)
        self._agent = Agent[ChatContext](
            name="todo-assistant",
            instructions=instructions,
            tools=task_tools(),
            model=model,
            model_settings=ModelSettings(include_usage=True),  # Chat Completions streams usage only if asked
        )
        self._run_config = RunConfig(tracing_disabled=not config.tracing)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def provider(self) -> str:
        return self._config.provider

    async def start(self, session: AsyncSession, request: TurnRequest) -> RunningTurn:
        """Take the conversation's lease and store the message (committing, so the request's
        connection is free again), then run the turn in the background."""
        turn = await start_turn(
            session,
            user_id=request.user_id,
            conversation_id=request.conversation_id,
            message=request.message,
            lease_s=self._config.lease_s,
            history_limit=self._config.history_max_items,
        )
        running = RunningTurn(turn)
        running.emit(ConversationStarted(conversation_id=turn.conversation_id, user_message_id=turn.turn_id))
        task = asyncio.create_task(self._run(running, request), name=f"chat-turn-{turn.turn_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return running

    async def _run(self, running: RunningTurn, request: TurnRequest) -> None:
        turn = running.turn
        ctx = ChatContext(
            user_id=request.user_id,
            sessionmaker=self._sessionmaker,
            conversation_id=turn.conversation_id,
            message_id=turn.turn_id,
            request_id=request.request_id,
            timezone=request.timezone,
            now=self._clock(request.timezone),
        )
        history = ConversationSession(
            self._sessionmaker,
            user_id=request.user_id,
            conversation_id=turn.conversation_id,
            turn_id=turn.turn_id,
            limit=self._config.history_max_items,
            history=turn.history,
        )
        try:
            with self._recorder.turn(turn.conversation_id, turn.seq) if self._recorder else nullcontext():
                reply, usage, error = await self._execute(request, running, ctx, history)
            await self._finish(turn, history, reply=reply, usage=usage, error=error)
            if self._recorder:
                await record_turn(
                    self._recorder,
                    self._sessionmaker,
                    ctx,
                    turn.seq,
                    request.message,
                    reply=reply,
                    error=error,
                )
            if error:
                running.emit(TurnFailed(code=error[0], message=error[1]))
            else:
                running.emit(MessageCompleted(message_id=turn.assistant_message_id, content=reply or ""))
                running.emit(
                    TurnDone(
                        conversation_id=turn.conversation_id, usage=usage, actions=list(ctx.actions.values())
                    )
                )
        finally:
            running.close()

    async def _execute(
        self, request: TurnRequest, running: RunningTurn, ctx: ChatContext, history: ConversationSession
    ) -> tuple[str | None, Usage, tuple[str, str] | None]:
        """Run the agent, relaying its events: (reply, usage, None) or (None, usage, (code, message))."""
        heartbeat = asyncio.create_task(self._keep_lease(running.turn))
        result: RunResultStreaming | None = None
        try:
            result = Runner.run_streamed(
                self._agent,
                request.message,
                context=ctx,
                session=history,
                max_turns=self._config.max_turns,
                run_config=self._run_config,
            )
            await self._relay(result, running, ctx)
            return str(result.final_output or ""), _usage(result), None
        except Exception as exc:
            if result is not None and not result.is_complete:
                result.cancel()
            return None, _usage(result), classify(exc)
        finally:
            heartbeat.cancel()

    async def _relay(self, result: RunResultStreaming, running: RunningTurn, ctx: ChatContext) -> None:
        try:
            async with asyncio.timeout(self._config.turn_timeout_s):
                async for event in result.stream_events():
                    for chat_event in translate(event, ctx):
                        running.emit(chat_event)
        except TimeoutError as exc:
            raise TurnTimeout from exc

    async def _finish(
        self,
        turn: StartedTurn,
        history: ConversationSession,
        *,
        reply: str | None,
        usage: Usage,
        error: tuple[str, str] | None = None,
    ) -> None:
        try:
            async with self._sessionmaker() as session:
                await finish_turn(
                    session,
                    turn,
                    reply=reply,
                    usage=TurnUsage(**usage.model_dump()),
                    model=self._model_name,
                    items=history.rows(),
                    error=error,
                )
        except Exception:  # the lease expires by itself; the next turn marks this one interrupted
            log.exception("could not store the outcome of turn %s", turn.turn_id)

    async def _keep_lease(self, turn: StartedTurn) -> None:
        while True:
            # Renew at about half the lease, jittered: turns that started together (a burst of
            # chats) must not all renew in the same instant and queue up for connections.
            await asyncio.sleep(self._config.lease_s * random.uniform(0.35, 0.55))  # noqa: S311
            try:
                async with self._sessionmaker() as session:
                    if not await renew_lease(session, turn, self._config.lease_s):
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
    usage = result.context_wrapper.usage
    return Usage(
        input_tokens=usage.input_tokens, output_tokens=usage.output_tokens, total_tokens=usage.total_tokens
    )
