"""Running chat turns, durably.

A turn runs as its own task, detached from the HTTP request that started it: the request only
reads the events it produces, so a client that disconnects cannot cut the turn short. Every event
also goes to the event log (`agent.event_log`), so any instance can replay and follow the stream
from any point (`resume`), and a repeated request with the same idempotency key follows the first
turn instead of running a second one. A turn can be stopped from any instance (`stop`), loses
nothing it committed if its instance dies (history is written step by step), and ends cleanly
when its instance shuts down (`drain`). A database lease serialises a conversation's turns across
instances; a turn that loses it stops and writes nothing more.
"""

import asyncio
import contextlib
import enum
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from agents import Agent, ModelSettings, RunConfig, Runner
from agents.items import ToolCallOutputItem
from agents.result import RunResultStreaming
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent import event_log, turns
from agent.background import cancel_and_wait
from agent.config import AgentSettings, ChatSettings
from agent.context import ChatContext, current_turn
from agent.errors import IdempotencyKeyReused, LeaseLost, ShuttingDown
from agent.events import (
    EVENTS_PER_TURN,
    ChatEvent,
    ConversationStarted,
    MessageCompleted,
    TextDelta,
    ToolCalled,
    ToolResult,
    TurnDone,
    TurnEvent,
    TurnFailed,
    Usage,
)
from agent.failures import TurnErrorCode, TurnFailure, classify
from agent.function_tools import ToolOutcome, task_tools
from agent.instructions import instructions
from agent.memory import ConversationMemory, assistant_item, input_items
from agent.notifier import Notifier
from agent.providers import ChatModel, model_name
from agent.retry import retrying
from agent.slots import Slots
from agent.stream import translate
from agent.turns import DuplicateKey, StartedTurn
from db.models import Action, ChatTurn, TurnStatus
from db.types import utcnow
from tools.schemas import ActionPublic

log = logging.getLogger(__name__)
STORE_RETRY_S = 10.0  # how long a turn keeps trying to store its outcome before it says it could not
PURGE_EVERY_S = 300.0
STOP_POLL_S = 1.0
LEASE_RENEWAL = 0.3  # renew the leases every this part of their length
FIRST_READ_WAIT_S = 0.05  # a turn nobody reads (its client left at once) starts after this anyway


class StopReason(enum.StrEnum):
    user = "user"  # POST .../stop, on any instance
    lease_lost = "lease_lost"  # another instance took the conversation over
    shutdown = "shutdown"  # this instance is going away


class TurnStream(Protocol):
    """A turn's events as a client reads them, in order, ending with `done` or `error`: in
    batches of what was ready at once, so that a burst (a fast model's text deltas) costs one
    write to the client rather than one per event. With `idle_s`, an empty batch follows every
    `idle_s` without events: the reader's cue to tell its client the stream is still alive."""

    def batches(self, idle_s: float | None = None) -> AsyncIterator[list[TurnEvent]]: ...


async def events(turn: TurnStream) -> AsyncIterator[TurnEvent]:
    """A turn's events one by one."""
    async for batch in turn.batches():
        for event in batch:
            yield event


def _resolve(waiting: asyncio.Future[None]) -> None:
    if not waiting.done():
        waiting.set_result(None)


def terminal(event: TurnEvent) -> bool:
    return isinstance(event.event, TurnDone | TurnFailed)


class RunningTurn:
    """A turn running in this process: its live events, its log, and the way to stop it."""

    def __init__(self, started: StartedTurn, writer: event_log.EventWriter, wake: Callable[[], None]) -> None:
        self.started = started
        self._writer = writer
        self._wake = wake
        # Futures and a list rather than asyncio's Queue and Events: a turn parked on a slow model
        # holds these for its whole life, and each of those keeps a deque (~600 bytes) of its own.
        loop = asyncio.get_running_loop()
        self._ready: list[TurnEvent | None] = []  # None: the stream ends there
        self._waiting: asyncio.Future[None] | None = None  # its reader, when nothing is ready
        self._count = 0
        self.stop_reason: StopReason | None = None
        self.stop_requested: asyncio.Future[None] = loop.create_future()
        self.text = ""  # the reply as streamed so far: what a stopped turn keeps
        self.read: asyncio.Future[None] = loop.create_future()  # its client took the first events
        self.renewed = loop.time()  # when its lease was last known ours
        self.calls: dict[str, str] = {}  # tool calls announced and not answered yet: id -> name

    def number(self, event: ChatEvent) -> TurnEvent:
        self._count += 1
        return TurnEvent(self.started.seq * EVENTS_PER_TURN + self._count, event)

    def emit(self, event: ChatEvent) -> None:
        """Send an event live and to the log."""
        numbered = self.number(event)
        if isinstance(event, TextDelta):
            self.text += event.delta
        elif isinstance(event, ToolCalled):
            self.calls[event.call_id] = event.name
        elif isinstance(event, ToolResult):
            self.calls.pop(event.call_id, None)
        self._writer.add(numbered)
        self._send([numbered])
        self._wake()

    def send_stored(self, events: Sequence[TurnEvent]) -> None:
        """Send events the turn's outcome was stored with (they are in the log already)."""
        self._send(events)
        self._wake()

    def stop(self, reason: StopReason) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
            self.stop_requested.set_result(None)

    def close(self) -> None:
        self._send([None])

    def _send(self, events: Sequence[TurnEvent | None]) -> None:
        self._ready.extend(events)
        if self._waiting is not None and not self._waiting.done():
            self._waiting.set_result(None)

    async def batches(self, idle_s: float | None = None) -> AsyncIterator[list[TurnEvent]]:
        loop = asyncio.get_running_loop()
        while True:
            if not self._ready:
                waiting = self._waiting = loop.create_future()
                # A timer, not a timeout around the wait: that would be a task per stream.
                idle = loop.call_later(idle_s, _resolve, waiting) if idle_s is not None else None
                try:
                    await waiting
                finally:
                    self._waiting = None
                    if idle is not None:
                        idle.cancel()
                if not self._ready:
                    yield []
                    continue
            ready, self._ready = self._ready, []
            end = ready.index(None) if None in ready else len(ready)
            batch = [event for event in ready[:end] if event is not None]
            if batch:
                if not self.read.done():
                    self.read.set_result(None)
                yield batch
            if end < len(ready):
                return


class LoggedTurn:
    """A turn's stream read from the event log: what was written after an id, then what is
    written next, until the turn ends — on any instance, whichever instance runs the turn."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        notifier: Notifier,
        turn: ChatTurn,
        after: int,
        first: list[TurnEvent],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._notifier = notifier
        self._turn_id = turn.id
        self._conversation_id = turn.conversation_id
        self._after = after
        self._first = first

    async def batches(self, idle_s: float | None = None) -> AsyncIterator[list[TurnEvent]]:
        loop = asyncio.get_running_loop()
        last, pending, sent = self._after, self._first, loop.time()
        async with self._notifier.watching(self._conversation_id) as news:
            while True:
                ended = next((n for n, event in enumerate(pending) if terminal(event)), None)
                if ended is not None:
                    yield pending[: ended + 1]
                    return
                if pending or (idle_s is not None and loop.time() - sent >= idle_s):
                    yield pending
                    last, sent = pending[-1].id if pending else last, loop.time()
                if self._notifier.closed:
                    # The instance is going away: the client picks the stream up on another.
                    return
                news.clear()
                # Notifications wake us at once; the timeout is the poll when they do not arrive.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(news.wait(), 1.0 if self._notifier.delivering else 0.25)
                async with self._sessionmaker() as session:
                    pending = await event_log.events_after(session, self._conversation_id, last)
                    if not pending and not await self._alive(session):
                        # Its instance died without a word: no last event will ever be written.
                        pending = await event_log.events_after(session, self._conversation_id, last)
                        if not pending:
                            message = "the server handling this turn stopped"
                            failed = TurnFailed(code=TurnErrorCode.interrupted, message=message)
                            yield [TurnEvent(last + 1, failed)]
                            return

    async def _alive(self, session: AsyncSession) -> bool:
        turn = await session.get(ChatTurn, self._turn_id, populate_existing=True)
        if turn is None or turn.status != TurnStatus.running:
            return False
        _, running = await turns.latest_turn(
            session, user_id=turn.user_id, conversation_id=self._conversation_id
        )
        return running


class Replay:
    """A finished turn's stream, rebuilt from what is stored when its events are gone."""

    def __init__(self, events: list[TurnEvent]) -> None:
        self._events = events

    async def batches(self, idle_s: float | None = None) -> AsyncIterator[list[TurnEvent]]:
        yield self._events


@dataclass(frozen=True)
class FinishedTurn:
    """A turn once stored: what observers (the recorder, metrics) are told."""

    context: ChatContext
    message: str
    reply: str | None
    error: TurnFailure | None
    usage: Usage
    tools: list[ToolOutcome] = field(default_factory=list)  # each call: its id, tool and audit row
    stopped: bool = False


class TurnObserver(Protocol):
    async def turn_finished(self, turn: FinishedTurn) -> None: ...


@dataclass
class _Outcome:
    status: TurnStatus
    reply: str | None
    usage: Usage
    error: TurnFailure | None
    tools: list[ToolOutcome]
    model: str
    items: list[dict[str, object]] = field(default_factory=list)  # history still to write: the reply


class ChatService:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: ChatModel,
        *,
        agent: AgentSettings,
        chat: ChatSettings,
        history_max_items: int,
        caps: turns.TurnCaps,
        listen_dsn: str | None = None,
        clock: Callable[[ZoneInfo], datetime] = datetime.now,
        observers: Sequence[TurnObserver] = (),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._model = model
        self._settings = chat
        self._history_max_items = history_max_items
        self._caps = caps
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
        self.notifier = Notifier(listen_dsn, on_stop=self._stop_requested)
        self._running: dict[uuid.UUID, RunningTurn] = {}
        self._active = Slots(chat.max_active_turns)
        self._tasks: set[asyncio.Task[None]] = set()
        self._background: list[asyncio.Task[None]] = []
        self.draining = False

    async def open(self) -> None:
        await self.notifier.start()
        self._background = [
            asyncio.create_task(self._purge_now_and_then(), name="chat-purge"),
            asyncio.create_task(self._poll_stops(), name="chat-stops"),
            asyncio.create_task(self._keep_leases(), name="chat-leases"),
        ]

    async def start(
        self,
        *,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID | None,
        message: str,
        timezone: ZoneInfo,
        request_id: str | None,
        client_id: str | None = None,
        client_message_id: str | None = None,
    ) -> TurnStream:
        """Within the caps on running turns, take the conversation's lease and store the message
        (committed before this returns), then run the turn in the background. Without a
        conversation (or with a client id not seen yet), a new one is started. A message whose
        idempotency key was seen before is not run again: its turn's stream is followed instead
        (even at a cap: it starts nothing)."""
        # A session of its own, which takes a connection only for what needs one: an idempotency
        # key's lookup, or the start on SQLite (on PostgreSQL it is one statement of its own).
        async with self._sessionmaker() as session:
            started = await self._take(
                session, user_id, conversation_id, message, client_id, client_message_id
            )
        if not isinstance(started, turns.StartedTurn):
            return started  # a repeat: the earlier turn's stream
        writer = event_log.EventWriter(self._sessionmaker, started.conversation_id, started.turn_id)
        running = RunningTurn(started, writer, lambda: self.notifier.wake(started.conversation_id))
        running.emit(
            ConversationStarted(
                conversation_id=started.conversation_id,
                user_message_id=started.turn_id,
                assistant_message_id=started.assistant_message_id,
            )
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
        self._running[started.turn_id] = running

        def run(holds_slot: bool) -> None:  # once it holds a slot, or was stopped while it waited
            task = asyncio.create_task(
                self._run(running, writer, ctx, message, holds_slot), name=f"chat-turn-{started.turn_id}"
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._active.claim(run, running.stop_requested)
        return running

    async def _take(
        self,
        session: AsyncSession,
        user_id: uuid.UUID,
        conversation_id: uuid.UUID | None,
        message: str,
        client_id: str | None,
        client_message_id: str | None,
    ) -> turns.StartedTurn | TurnStream:
        if client_message_id is not None:
            earlier = await turns.keyed_turn(session, user_id, client_message_id)
            if earlier is not None:
                return await self._repeat(session, earlier, message, conversation_id)
        if self.draining:
            raise ShuttingDown("this instance is shutting down; try again")
        try:
            return await turns.start_turn(
                session,
                user_id=user_id,
                conversation_id=conversation_id,
                message=message,
                lease_s=self._settings.lease_s,
                history_limit=self._history_max_items,
                caps=self._caps,
                client_id=client_id,
                client_message_id=client_message_id,
            )
        except DuplicateKey:  # the same request, twice at once: the other one runs it
            assert client_message_id is not None
            earlier = await turns.keyed_turn(session, user_id, client_message_id)
            assert earlier is not None
            return await self._repeat(session, earlier, message, conversation_id)

    async def _repeat(
        self, session: AsyncSession, earlier: ChatTurn, message: str, conversation_id: uuid.UUID | None
    ) -> TurnStream:
        if earlier.user_message != message or conversation_id not in (None, earlier.conversation_id):
            raise IdempotencyKeyReused("this idempotency key was used for another message")
        return await self._follow(session, earlier, after=earlier.seq * EVENTS_PER_TURN)

    async def resume(
        self, session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID, after: int | None
    ) -> TurnStream | None:
        """The conversation's stream after the event `after` (None: from the start of its current
        or last turn): what was written, then live until that turn ends. None when no turn is
        running and nothing follows. NotFound for a conversation not the caller's."""
        turn, _ = await turns.latest_turn(session, user_id=user_id, conversation_id=conversation_id)
        if turn is None:
            return None
        if after is None:
            return await self._follow(session, turn, after=turn.seq * EVENTS_PER_TURN)
        first = await event_log.events_after(session, conversation_id, after)
        if not first and turn.status != TurnStatus.running:
            return None
        # A turn whose row still says running but whose lease ran out died with its instance: the
        # reader tells the client so (`interrupted`) rather than leaving it waiting.
        return LoggedTurn(self._sessionmaker, self.notifier, turn, after, first)

    async def resume_running(
        self, session: AsyncSession, *, user_id: uuid.UUID, client_id: str
    ) -> TurnStream | None:
        """The running turn of the caller's conversation a chat frontend calls `client_id`: from
        its start, then live until it ends. None when there is no such conversation or nothing is
        running in it (a finished turn is not replayed)."""
        conversation_id = await turns.conversation_by_client_id(session, user_id, client_id)
        if conversation_id is None:
            return None
        turn, running = await turns.latest_turn(session, user_id=user_id, conversation_id=conversation_id)
        if turn is None or not running:
            return None
        return await self._follow(session, turn, after=turn.seq * EVENTS_PER_TURN)

    async def _follow(self, session: AsyncSession, turn: ChatTurn, after: int) -> TurnStream:
        first = await event_log.events_after(session, turn.conversation_id, after)
        if first or turn.status == TurnStatus.running:
            return LoggedTurn(self._sessionmaker, self.notifier, turn, after, first)
        # Finished, and its events purged: tell it from the turn and its audit rows.
        stmt = select(Action).where(Action.message_id == turn.id, Action.user_id == turn.user_id)
        actions = [
            ActionPublic.model_validate(a)
            for a in (await session.exec(stmt.order_by(col(Action.created_at))))
        ]
        return Replay(event_log.replayed(turn, actions))

    async def stop(self, session: AsyncSession, *, user_id: uuid.UUID, conversation_id: uuid.UUID) -> None:
        """Stop the conversation's running turn, on whichever instance runs it."""
        turn_id = await turns.request_stop(session, user_id=user_id, conversation_id=conversation_id)
        self._stop_requested(turn_id)

    def _stop_requested(self, turn_id: uuid.UUID) -> None:
        running = self._running.get(turn_id)
        if running is not None:
            running.stop(StopReason.user)

    async def _run(
        self,
        running: RunningTurn,
        writer: event_log.EventWriter,
        ctx: ChatContext,
        message: str,
        holds_slot: bool,
    ) -> None:
        """The turn, from its slot (one of `max_active_turns`) to its stored outcome. Without a
        slot it was stopped while it waited, and ends at once as stopped (or interrupted)."""
        current_turn.set(ctx)  # this task's own context: model calls made for it know the turn
        started = running.started
        try:
            try:
                # The client's first bytes go out before the turn's first slice of CPU (the SDK's
                # set-up and the model request), which would otherwise delay them by milliseconds.
                await asyncio.wait([running.read], timeout=FIRST_READ_WAIT_S)
                memory = ConversationMemory(
                    self._sessionmaker,
                    user_id=ctx.user_id,
                    conversation_id=ctx.conversation_id,
                    turn_id=ctx.turn_id,
                    lease_token=started.lease_token,
                    limit=self._history_max_items,
                    history=started.history,
                    stored_input=input_items(message),
                )
                outcome = await self._execute(running, ctx, memory, message)
            finally:
                if holds_slot:
                    self._active.release()
            for call_id, name in list(running.calls.items()):  # announced, never answered: say so
                running.emit(ToolResult.of(call_id, name, None, error="stopped before it finished"))
            last = self._last_events(running, ctx, outcome)
            stored = await self._store(started, outcome, await writer.close() + last)
            if stored is None:
                running.send_stored(last)
            else:
                outcome.error = stored
                running.emit(TurnFailed(code=stored.code, message=stored.message))
            finished = FinishedTurn(
                ctx,
                message,
                outcome.reply,
                outcome.error,
                outcome.usage,
                outcome.tools,
                outcome.status == TurnStatus.stopped,
            )
            for observer in self._observers:
                await _tell(observer, finished)
        finally:
            await writer.close()
            self._running.pop(started.turn_id, None)
            running.close()

    def _last_events(self, running: RunningTurn, ctx: ChatContext, outcome: _Outcome) -> list[TurnEvent]:
        if outcome.error is not None:
            code = outcome.error.code
            if running.stop_reason == StopReason.shutdown:
                code = TurnErrorCode.server_shutdown  # stored as interrupted; the client is told why
            return [running.number(TurnFailed(code=code, message=outcome.error.message))]
        actions = [tool.action for tool in outcome.tools if tool.action is not None]
        return [
            running.number(
                MessageCompleted(message_id=running.started.assistant_message_id, content=outcome.reply or "")
            ),
            running.number(
                TurnDone(
                    conversation_id=ctx.conversation_id,
                    usage=outcome.usage,
                    actions=actions,
                    stopped=outcome.status == TurnStatus.stopped,
                )
            ),
        ]

    async def _execute(
        self, running: RunningTurn, ctx: ChatContext, memory: ConversationMemory, message: str
    ) -> _Outcome:
        """Run the agent, relaying its events as they come, until it ends, is stopped or runs out
        of time."""
        model = self._model.for_turn(ctx)
        name = model_name(model)
        config = RunConfig(model=model, tracing_disabled=not self._tracing)
        result = Runner.run_streamed(
            self._agent, message, context=ctx, session=memory, max_turns=self._max_steps, run_config=config
        )
        relay = asyncio.create_task(self._relay(result, running))
        try:
            done, _ = await asyncio.wait(
                {relay, running.stop_requested},
                timeout=self._settings.turn_timeout_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if relay in done:
                relay.result()  # raises what the run raised
                return _Outcome(
                    TurnStatus.completed,
                    str(result.final_output or ""),
                    _usage(result),
                    None,
                    _tools(result),
                    name,
                    memory.held,
                )
            result.cancel()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await relay
            if running.stop_reason == StopReason.user:
                partial = running.text
                items = memory.held or ([assistant_item(partial)] if partial else [])
                return _Outcome(
                    TurnStatus.stopped, partial, _usage(result), None, _tools(result), name, items
                )
            if running.stop_reason is None:
                error = classify(TimeoutError(), deadline_expired=True)
            elif running.stop_reason == StopReason.lease_lost:
                error = classify(LeaseLost())
            else:
                error = TurnFailure(TurnErrorCode.interrupted, "the server restarted while answering")
            return _Outcome(TurnStatus.failed, None, _usage(result), error, _tools(result), name, memory.held)
        except Exception as exc:
            if not result.is_complete:
                result.cancel()
            failure, tools = classify(exc), _tools(result)
            return _Outcome(TurnStatus.failed, None, _usage(result), failure, tools, name, memory.held)

    async def _relay(self, result: RunResultStreaming, running: RunningTurn) -> None:
        async for sdk_event in result.stream_events():
            event = translate(sdk_event)
            if event is not None:
                running.emit(event)

    async def _store(
        self, turn: StartedTurn, outcome: _Outcome, events: list[TurnEvent]
    ) -> TurnFailure | None:
        """Store the outcome, retrying a while if the database is in trouble. None once stored;
        else why not (the turn then says so instead of `done`, and its lease runs out)."""

        async def attempt() -> None:
            async with self._sessionmaker() as session:
                await turns.finish_turn(
                    session,
                    turn,
                    status=outcome.status,
                    reply=outcome.reply,
                    usage=outcome.usage,
                    model=outcome.model,
                    error=outcome.error,
                    items=outcome.items,
                    events=events,
                )

        try:
            await retrying(attempt, f"storing turn {turn.turn_id}", within=STORE_RETRY_S)
        except LeaseLost:
            log.warning("turn %s lost its lease before it could store its outcome", turn.turn_id)
            return TurnFailure(TurnErrorCode.interrupted, "another instance took this conversation over")
        except Exception:
            log.exception("could not store the outcome of turn %s", turn.turn_id)
            return TurnFailure(TurnErrorCode.storage_unavailable, "the reply could not be stored; try again")
        return None

    async def _keep_leases(self) -> None:
        """Renew the leases of this instance's running turns, all in one statement, about three
        times a lease: the database work is the same for one turn as for a thousand. A turn whose
        lease was taken over, or could not be renewed for a whole lease, is stopped."""
        lease_s = self._settings.lease_s
        while True:
            await asyncio.sleep(lease_s * LEASE_RENEWAL)
            held = list(self._running.values())
            try:
                async with self._sessionmaker() as session:
                    renewed = await turns.renew_leases(session, [r.started for r in held], lease_s)
            except Exception:
                log.warning("could not renew the leases of %d turns", len(held), exc_info=True)
                now = asyncio.get_running_loop().time()
                for running in held:
                    if now - running.renewed > lease_s:  # the lease may be someone else's by now
                        running.stop(StopReason.lease_lost)
                continue
            now = asyncio.get_running_loop().time()
            for running in held:
                if running.started.turn_id in renewed:
                    running.renewed = now
                elif running.started.turn_id in self._running:  # not one that just finished
                    turn = running.started
                    log.warning(
                        "turn %s lost its lease on conversation %s", turn.turn_id, turn.conversation_id
                    )
                    running.stop(StopReason.lease_lost)

    async def _poll_stops(self) -> None:
        """Stop requests made on another instance, for when no notification brings them."""
        while True:
            await asyncio.sleep(STOP_POLL_S)
            if not self._running:
                continue
            try:
                async with self._sessionmaker() as session:
                    for turn_id in await turns.stops_requested(session, list(self._running)):
                        self._stop_requested(turn_id)
            except Exception:
                log.warning("could not check for stop requests", exc_info=True)

    async def _purge_now_and_then(self) -> None:
        while True:
            try:
                async with self._sessionmaker() as session:
                    await event_log.purge(session, utcnow() - timedelta(seconds=self._settings.events_ttl_s))
            except Exception:
                log.warning("could not purge old chat events", exc_info=True)
            await asyncio.sleep(PURGE_EVERY_S)

    async def drain(self, grace_s: float) -> None:
        """Shut down cleanly (a deploy): take no new turns, let the running ones finish for
        `grace_s`, then stop what is left — stored as interrupted, its lease released, its
        stream ended with `server_shutdown`. Nothing stays locked. Streams that follow a turn
        (resumed, maybe of a turn on another instance) end then too: their clients resume them
        on another instance."""
        self.draining = True
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace_s)
        for running in list(self._running.values()):
            running.stop(StopReason.shutdown)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STORE_RETRY_S + 5)
        self.notifier.close_watchers()  # the streams following turns end too

    async def close(self, grace_s: float) -> None:
        await self.drain(grace_s)
        await cancel_and_wait(self._tasks | set(self._background))
        await self.notifier.close()


def _usage(result: RunResultStreaming) -> Usage:
    return Usage.model_validate(result.context_wrapper.usage, from_attributes=True)


def _tools(result: RunResultStreaming) -> list[ToolOutcome]:
    """The turn's tool calls that ran, in order, from the items the SDK kept."""
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
