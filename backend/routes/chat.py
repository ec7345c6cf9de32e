"""`POST /api/chat`: one user message in, the agent's reply out (SSE stream or JSON)."""

import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sse_starlette import EventSourceResponse, ServerSentEvent

from agent.chat import RunningTurn
from agent.reply import ChatReply, collect_reply
from agent.turns import UserMessage
from backend.deps import ChatDep, CurrentUserId, RequestIdDep, SessionDep, TimezoneDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from backend.guards import RATE_LIMITED, AdmitTurn
from backend.openapi import event_stream_content, event_table

router = APIRouter(tags=["chat"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEPALIVE_S = 15

PROTOCOL = f"""Send one message; the reply streams back as Server-Sent Events (`stream: true`, the
default), each `data:` a JSON object and each `id:` unique and increasing within the conversation:

{event_table()}

Comments (`: ping`) keep the connection alive every {KEEPALIVE_S} s. With `stream: false` the
answer is one JSON object, `{{conversation_id, message: {{id, content}}, actions, usage}}`, and a
failed turn is an HTTP error with its code. Without `conversation_id` a new conversation starts.
`X-Timezone` (IANA name, default UTC) sets the user's "today". A conversation answers one message
at a time: 409 `conversation_busy` otherwise."""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: UserMessage
    conversation_id: uuid.UUID | None = Field(None, description="Omit to start a new conversation.")
    stream: bool = True


@router.post(
    "/api/chat",
    description=PROTOCOL,
    dependencies=[AdmitTurn],
    responses={
        200: {"content": event_stream_content(), "description": "The event stream, or the JSON reply."},
        **UNREADABLE_BODY,
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse, "description": RATE_LIMITED},
        502: {"model": ErrorResponse},
        504: {"model": ErrorResponse},
    },
)
async def chat(
    body: ChatRequest,
    session: SessionDep,
    user_id: CurrentUserId,
    service: ChatDep,
    timezone: TimezoneDep,
    request_id: RequestIdDep,
) -> ChatReply:
    turn = await service.start(
        session,
        user_id=user_id,
        conversation_id=body.conversation_id,
        message=body.message,
        timezone=timezone,
        request_id=request_id,
    )
    if body.stream:
        return EventSourceResponse(sse(turn), ping=KEEPALIVE_S, headers=SSE_HEADERS)  # type: ignore[return-value]
    return await collect_reply(turn)


async def sse(turn: RunningTurn) -> AsyncIterator[ServerSentEvent]:
    async for numbered in turn.events():
        yield ServerSentEvent(data=numbered.event.model_dump_json(), event=numbered.name, id=str(numbered.id))
