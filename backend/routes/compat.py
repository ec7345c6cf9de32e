"""`POST /api/{user_id}/chat`: the request and answer shape many existing chat frontends use.

Backed by the same agent and storage as /api/chat (non-streamed). The user id in the path is
only checked against the token; it never decides whose data is touched.
"""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from agent.reply import collect_reply
from agent.turns import UserMessage
from backend.deps import ChatDep, RequestIdDep, TimezoneDep
from backend.errors import UNREADABLE_BODY, ApiError, ErrorResponse
from backend.guards import RATE_LIMITED, AdmittedUserId
from tools.schemas import ToolCall

router = APIRouter(tags=["chat"])


class CompatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: uuid.UUID | None = None
    message: UserMessage


class CompatReply(BaseModel):
    conversation_id: uuid.UUID
    response: str
    tool_calls: list[ToolCall] = Field(default_factory=list)


@router.post(
    "/api/{user_id}/chat",
    responses={
        **UNREADABLE_BODY,
        403: {"model": ErrorResponse},
        404: {"model": ErrorResponse},
        429: {"model": ErrorResponse, "description": RATE_LIMITED},
    },
)
async def compat_chat(
    user_id: str,
    body: CompatRequest,
    token_user: AdmittedUserId,
    service: ChatDep,
    timezone: TimezoneDep,
    request_id: RequestIdDep,
) -> CompatReply:
    """Send a message as `{conversation_id?, message}`; get `{conversation_id, response, tool_calls}`."""
    if user_id != str(token_user):
        raise ApiError(403, "forbidden", "the user id in the path is not the authenticated user")
    turn = await service.start(
        user_id=token_user,
        conversation_id=body.conversation_id,
        message=body.message,
        timezone=timezone,
        request_id=request_id,
    )
    reply = await collect_reply(turn)
    return CompatReply(
        conversation_id=reply.conversation_id,
        response=reply.message.content,
        tool_calls=[action.tool_call() for action in reply.actions],
    )
