"""`/api/chat/ui`: the chat for Vercel AI SDK frontends (`useChat` with `DefaultChatTransport`),
answered as the AI SDK's UI message stream. The same turns as `POST /api/chat`, another view."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from agent.turns import ClientId, UserMessage
from backend.deps import ChatDep, CurrentUserId, RequestIdDep, SessionDep, TimezoneDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from backend.guards import RATE_LIMITED, AdmittedUserId
from backend.openapi import chunk_table, ui_stream_content
from backend.sse import KEEPALIVE_S, EventStreamResponse
from backend.ui_stream import ui_message_stream
from tools.errors import InvalidInput

router = APIRouter(
    prefix="/api/chat/ui",
    tags=["chat"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
MESSAGES_MAX = 1000  # what one request may carry: the client sends its whole chat every time
PARTS_MAX = 1000
_user_message: TypeAdapter[str] = TypeAdapter(UserMessage)

PROTOCOL = f"""The chat as the Vercel AI SDK speaks it: point `useChat`'s `DefaultChatTransport`
at this route. The body is what the transport sends, `{{id, messages, trigger, messageId?}}`;
`id` (the client's chat id) names one of your conversations, created on first use. Only the
text of the last message, which must be the user's, is read: the history is the server's, and
messages the client sends back are not trusted. The answer is the UI message stream
(`x-vercel-ai-ui-message-stream: v1`): `data: <chunk>` frames, ending with `data: [DONE]`,
and a `: ping` comment after every {KEEPALIVE_S} s without chunks.

{chunk_table()}

`trigger: "regenerate-message"` is refused (422): the turn it would redo has already acted
(its tool calls ran). `X-Timezone` (IANA name, default UTC) sets the user's "today". A chat
answers one message at a time: 409 `conversation_busy` otherwise."""


class UiMessageIn(BaseModel):
    """A message as the client keeps it: only a user's text parts are ever read."""

    model_config = ConfigDict(extra="allow")

    id: str | None = Field(None, max_length=200)
    role: Literal["system", "user", "assistant"]
    parts: list[dict[str, Any]] = Field(max_length=PARTS_MAX)


class UiChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: ClientId = Field(description="The client's chat id: one of your conversations.")
    messages: list[UiMessageIn] = Field(min_length=1, max_length=MESSAGES_MAX)
    trigger: Literal["submit-message", "regenerate-message"] = "submit-message"
    message_id: str | None = Field(None, alias="messageId", max_length=200)

    def user_text(self) -> str:
        """The new message: the text of the last message, which must be the user's."""
        if self.trigger == "regenerate-message":
            message = "regenerating is not supported: the turn already acted; send a new message instead"
            raise InvalidInput(message, [{"field": "trigger", "message": message}])
        index = len(self.messages) - 1
        last = self.messages[index]
        if last.role != "user":
            message = "the last message must be the user's"
            raise InvalidInput(message, [{"field": f"messages.{index}.role", "message": message}])
        texts = [p["text"] for p in last.parts if p.get("type") == "text" and isinstance(p.get("text"), str)]
        try:
            return _user_message.validate_python("\n".join(texts))
        except ValidationError as exc:
            errors = [{**e, "loc": ("messages", index, "parts", "text")} for e in exc.errors()]
            raise InvalidInput.from_errors(errors) from exc


@router.post(
    "",
    description=PROTOCOL,
    responses={
        200: {"content": ui_stream_content(), "description": "The UI message stream."},
        **UNREADABLE_BODY,
        409: {"model": ErrorResponse},
        429: {"model": ErrorResponse, "description": RATE_LIMITED},
        503: {"model": ErrorResponse},
    },
)
async def chat_ui(
    body: UiChatRequest,
    user_id: AdmittedUserId,
    service: ChatDep,
    timezone: TimezoneDep,
    request_id: RequestIdDep,
) -> EventStreamResponse:
    turn = await service.start(
        user_id=user_id,
        conversation_id=None,
        message=body.user_text(),
        timezone=timezone,
        request_id=request_id,
        client_id=body.id,
    )
    return ui_message_stream(turn)


@router.get(
    "/{chat_id:path}/stream",  # `:path`: a chat id may hold a slash (sent encoded)
    responses={
        200: {"content": ui_stream_content(), "description": "The running turn, from its start, then live."},
        204: {"description": "Nothing is running in this chat."},
        404: {"model": ErrorResponse, "description": "No such route: a chat id with a line break."},
    },
)
async def resume_chat_ui_stream(
    chat_id: Annotated[ClientId, Path()], session: SessionDep, user_id: CurrentUserId, service: ChatDep
) -> EventStreamResponse:
    """What `useChat({resume: true})` asks for: the chat's running turn as a UI message stream,
    replayed from its start and then live until it ends (after a reload, on any instance); 204
    when nothing is running, or the chat is not known."""
    stream = await service.resume_running(session, user_id=user_id, client_id=chat_id)
    if stream is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)  # type: ignore[return-value]
    return ui_message_stream(stream)
