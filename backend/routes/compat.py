"""`POST /api/{user_id}/chat`: the request and answer shape many existing chat frontends use.

Backed by the same agent and storage as /api/chat (non-streamed). The user id in the path is
only checked against the token; it never decides whose data is touched.
"""

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from backend.deps import CurrentUserId
from backend.errors import ApiError, ErrorResponse
from backend.routes.chat import StartTurn, collect_reply
from tools.schemas import text

router = APIRouter(tags=["chat"])


class CompatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: uuid.UUID | None = None
    message: text(min_length=1, max_length=4000)  # type: ignore[valid-type]


class CompatToolCall(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: Any | None
    status: str
    error: str | None


class CompatReply(BaseModel):
    conversation_id: uuid.UUID
    response: str
    tool_calls: list[CompatToolCall] = Field(default_factory=list)


@router.post("/api/{user_id}/chat", responses={403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})
async def compat_chat(
    user_id: str, body: CompatRequest, token_user: CurrentUserId, start: StartTurn
) -> CompatReply:
    """Send a message as `{conversation_id?, message}`; get `{conversation_id, response, tool_calls}`."""
    if user_id != str(token_user):
        raise ApiError(403, "forbidden", "the user id in the path is not the authenticated user")
    turn = await start(body.conversation_id, body.message)
    reply = await collect_reply(turn)
    calls = [
        CompatToolCall(
            name=a.tool, arguments=a.arguments, result=a.result, status=a.status.value, error=a.error
        )
        for a in reply.actions
    ]
    return CompatReply(
        conversation_id=reply.conversation_id, response=reply.message.content, tool_calls=calls
    )
