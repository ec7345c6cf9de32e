"""`POST /api/chat`: one user message in, the agent's reply out (SSE stream or JSON)."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.chat import ChatService, RunningTurn, TurnRequest
from agent.events import MessageCompleted, TurnDone, TurnFailed, Usage
from backend.deps import CurrentUserId, SessionDep
from backend.errors import ApiError, ErrorResponse
from tools.errors import InvalidInput
from tools.schemas import ActionPublic, text

router = APIRouter(tags=["chat"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE_S = 15
# JSON mode: a failed turn becomes an HTTP error; the model's failures are a bad gateway.
_FAILURE_STATUS = {
    "model_timeout": 504,
    "turn_timeout": 504,
    "internal_error": 500,
    "max_turns_exceeded": 500,
}

PROTOCOL = """Send one message; the reply streams back as Server-Sent Events (`stream: true`, the
default), each `data:` a JSON object and each `id:` unique and increasing within the conversation:

| event | data |
|---|---|
| `conversation` | `{conversation_id, user_message_id}`, before the model is called |
| `text_delta` | `{delta}`: reply text as it arrives |
| `tool_call` | `{call_id, name, arguments}` |
| `tool_result` | `{call_id, name, status: ok\\|error, result, error, duration_ms, action_id}`: audit entry |
| `message` | `{message_id, content}`: the complete reply |
| `done` | `{conversation_id, usage: {input_tokens, output_tokens, total_tokens}, actions}`: last event |
| `error` | `{code, message}`: last event of a failed turn (`model_unavailable`, `model_timeout`, ...) |

Comments (`: ping`) keep the connection alive every 15 s. With `stream: false` the answer is one
JSON object, `{conversation_id, message: {id, content}, actions, usage}`. Without
`conversation_id` a new conversation starts. `X-Timezone` (IANA name, default UTC) sets the
user's "today". A conversation answers one message at a time: 409 `conversation_busy` otherwise."""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: text(min_length=1, max_length=4000)  # type: ignore[valid-type]
    conversation_id: uuid.UUID | None = Field(None, description="Omit to start a new conversation.")
    stream: bool = True


class ReplyMessage(BaseModel):
    id: uuid.UUID
    content: str


class ChatReply(BaseModel):
    conversation_id: uuid.UUID
    message: ReplyMessage
    actions: list[ActionPublic]
    usage: Usage


def chat_service(request: Request) -> ChatService:
    return request.app.state.chat


def timezone_of(x_timezone: Annotated[str | None, Header()] = None) -> ZoneInfo:
    try:
        return ZoneInfo(x_timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        message = f"unknown time zone {x_timezone!r}; use an IANA name such as Europe/Paris"
        raise InvalidInput(f"X-Timezone: {message}", [{"field": "X-Timezone", "message": message}]) from exc


def _turn_starter(
    request: Request,
    session: SessionDep,
    user_id: CurrentUserId,
    service: Annotated[ChatService, Depends(chat_service)],
    timezone: Annotated[ZoneInfo, Depends(timezone_of)],
) -> Callable[[uuid.UUID | None, str], Awaitable[RunningTurn]]:
    """Everything a turn needs from the request, bound: routes give the conversation and message."""

    async def start(conversation_id: uuid.UUID | None, message: str) -> RunningTurn:
        return await service.start(
            session,
            TurnRequest(
                user_id=user_id,
                conversation_id=conversation_id,
                message=message,
                timezone=timezone,
                request_id=request.state.request_id,
            ),
        )

    return start


StartTurn = Annotated[Callable[[uuid.UUID | None, str], Awaitable[RunningTurn]], Depends(_turn_starter)]


@router.post(
    "/api/chat",
    description=PROTOCOL,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "The event stream, or the JSON reply."},
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        502: {"model": ErrorResponse},
        504: {"model": ErrorResponse},
    },
)
async def chat(body: ChatRequest, start: StartTurn) -> ChatReply:
    turn = await start(body.conversation_id, body.message)
    if body.stream:
        return EventSourceResponse(_sse(turn), ping=KEEPALIVE_S, headers=SSE_HEADERS)  # type: ignore[return-value]
    return await collect_reply(turn)


async def _sse(turn: RunningTurn) -> AsyncIterator[ServerSentEvent]:
    async for envelope in turn.events():
        yield ServerSentEvent(
            data=envelope.event.model_dump_json(), event=envelope.event.event, id=str(envelope.id)
        )


async def collect_reply(turn: RunningTurn) -> ChatReply:
    message: MessageCompleted | None = None
    async for envelope in turn.events():
        match envelope.event:
            case MessageCompleted() as completed:
                message = completed
            case TurnDone() as done if message is not None:
                return ChatReply(
                    conversation_id=done.conversation_id,
                    message=ReplyMessage(id=message.message_id, content=message.content),
                    actions=done.actions,
                    usage=done.usage,
                )
            case TurnFailed() as failed:
                raise ApiError(_FAILURE_STATUS.get(failed.code, 502), failed.code, failed.message)
    raise ApiError(500, "internal_error", "the turn ended without a reply")
