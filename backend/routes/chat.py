"""`POST /api/chat`: one user message in, the agent's reply out (SSE stream or JSON)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agent.reply import ChatReply, collect_reply
from agent.turns import ClientId, UserMessage
from backend.deps import ChatDep, RequestIdDep, TimezoneDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from backend.guards import RATE_LIMITED, AdmittedUserId
from backend.openapi import event_stream_content, event_table
from backend.sse import KEEPALIVE_S, event_stream
from tools.errors import InvalidInput

router = APIRouter(tags=["chat"])
_client_id: TypeAdapter[str] = TypeAdapter(ClientId)

PROTOCOL = f"""Send one message; the reply streams back as Server-Sent Events (`stream: true`, the
default), each `data:` a JSON object and each `id:` unique and increasing within the conversation:

{event_table()}

Comments (`: ping`) keep the connection alive after every {KEEPALIVE_S} s without events. With
`stream: false` the answer is one JSON object,
`{{conversation_id, message: {{id, content}}, actions, usage}}`, and a failed turn is an HTTP
error with its code. Without `conversation_id` a new conversation starts.
`X-Timezone` (IANA name, default UTC) sets the user's "today". A conversation answers one message
at a time: 409 `conversation_busy` otherwise.

Send once: with an idempotency key (`client_message_id`, or the `Idempotency-Key` header), a
repeated request does not run the turn again — it gets the first one's stream, replayed from its
start and then live, or its JSON reply; the same key with another message is 422
`idempotency_key_reused`. A stream that broke off is picked up again with
`GET /api/conversations/{{id}}/stream`."""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: UserMessage
    conversation_id: uuid.UUID | None = Field(None, description="Omit to start a new conversation.")
    stream: bool = True
    client_message_id: ClientId | None = Field(
        None, description="The client's key for this message: a repeat is answered, not run again."
    )


@router.post(
    "/api/chat",
    description=PROTOCOL,
    responses={
        200: {"content": event_stream_content(), "description": "The event stream, or the JSON reply."},
        **UNREADABLE_BODY,
        404: {"model": ErrorResponse},
        409: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse, "description": RATE_LIMITED},
        502: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
        504: {"model": ErrorResponse},
    },
)
async def chat(
    body: ChatRequest,
    user_id: AdmittedUserId,
    service: ChatDep,
    timezone: TimezoneDep,
    request_id: RequestIdDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> ChatReply:
    turn = await service.start(
        user_id=user_id,
        conversation_id=body.conversation_id,
        message=body.message,
        timezone=timezone,
        request_id=request_id,
        client_message_id=_key(body.client_message_id, idempotency_key),
    )
    if body.stream:
        return event_stream(turn)  # type: ignore[return-value]
    return await collect_reply(turn)


def _key(in_body: str | None, in_header: str | None) -> str | None:
    """The message's idempotency key, from the body or the header (not two different ones)."""
    if in_header is not None:
        try:
            in_header = _client_id.validate_python(in_header)
        except ValidationError as exc:
            errors = [{**error, "loc": ("Idempotency-Key", *error["loc"])} for error in exc.errors()]
            raise InvalidInput.from_errors(errors) from exc
    if in_body and in_header and in_body != in_header:
        message = "client_message_id and Idempotency-Key differ"
        raise InvalidInput(message, [{"field": "client_message_id", "message": message}])
    return in_body or in_header
