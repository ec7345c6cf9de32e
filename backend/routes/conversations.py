"""`/api/conversations`: the caller's chat history."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status

from agent import conversations, transcripts
from agent.conversations import ConversationDetail, ConversationPage
from agent.providers import provider_of
from agent.transcripts import Transcript, TranscriptImport
from backend.bodies import json_body, parsed_body
from backend.deps import ChatDep, CurrentUser, CurrentUserId, SessionDep, SettingsDep
from backend.errors import ErrorResponse
from backend.guards import RATE_LIMITED, AdmitImport
from backend.openapi import event_stream_content
from backend.sse import EventStreamResponse, event_stream
from tools.audit import list_actions
from tools.paging import OFFSET_MAX
from tools.schemas import ActionPage, ActionQuery

router = APIRouter(
    prefix="/api/conversations",
    tags=["chat"],
    responses={401: {"model": ErrorResponse}, 404: {"model": ErrorResponse}},
)


@router.get("")
async def list_conversations(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> ConversationPage:
    """Your conversations, most recently active first."""
    return await conversations.list_conversations(session, user_id=user.id, limit=limit, offset=offset)


@router.get("/{conversation_id}")
async def read_conversation(
    conversation_id: uuid.UUID, session: SessionDep, user: CurrentUser
) -> ConversationDetail:
    """One conversation: each turn's user message, reply and actions, in order."""
    return await conversations.get_conversation(session, user_id=user.id, conversation_id=conversation_id)


@router.get("/{conversation_id}/actions")
async def list_conversation_actions(
    conversation_id: uuid.UUID,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=OFFSET_MAX)] = 0,
) -> ActionPage:
    """The audit trail of one conversation, newest first."""
    await conversations.owned_conversation(session, user_id=user.id, conversation_id=conversation_id)
    query = ActionQuery(conversation_id=conversation_id, limit=limit, offset=offset)
    return await list_actions(session, query, user_id=user.id)


@router.delete(
    "/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT, responses={409: {"model": ErrorResponse}}
)
async def delete_conversation(conversation_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> None:
    """Delete a conversation and its history. The audit rows of its actions stay."""
    await conversations.delete_conversation(session, user_id=user.id, conversation_id=conversation_id)


@router.get("/{conversation_id}/export")
async def export_conversation(
    conversation_id: uuid.UUID, session: SessionDep, user: CurrentUser, settings: SettingsDep
) -> Transcript:
    """The conversation as a portable transcript: each turn's message, tool calls, reply and usage."""
    provider = provider_of(settings.llm, settings.openai)
    return await transcripts.export_transcript(
        session, user_id=user.id, conversation_id=conversation_id, provider=provider
    )


@router.post(
    "/import",
    status_code=status.HTTP_201_CREATED,
    dependencies=[AdmitImport],
    responses={
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        429: {"model": ErrorResponse, "description": RATE_LIMITED},
    },
    openapi_extra=json_body(TranscriptImport),
)
async def import_conversation(
    request: Request, response: Response, session: SessionDep, user: CurrentUser
) -> ConversationDetail:
    """Re-create a conversation from a transcript, as yours, with new ids; continue it with POST /api/chat.
    Nothing in it is executed again. At most 500 turns, 200 history items a turn and 5,000 in all,
    256 KB and 16 levels of nesting an item; only user and assistant messages, `function_call`,
    `function_call_output` and `reasoning` items."""
    body = await parsed_body(request, TranscriptImport)
    conversation_id = await transcripts.import_transcript(session, user_id=user.id, transcript=body)
    response.headers["Location"] = f"{router.prefix}/{conversation_id}"
    return await conversations.get_conversation(session, user_id=user.id, conversation_id=conversation_id)


@router.get(
    "/{conversation_id}/stream",
    responses={
        200: {"content": event_stream_content(), "description": "The events after the given id, then live."},
        204: {"description": "No turn is running and nothing follows the id."},
    },
)
async def resume_conversation_stream(
    conversation_id: uuid.UUID,
    session: SessionDep,
    user_id: CurrentUserId,
    service: ChatDep,
    last_event_id: Annotated[int | None, Header(ge=0)] = None,
    after: Annotated[
        int | None, Query(ge=0, description="The last event id seen (as Last-Event-ID).")
    ] = None,
) -> EventStreamResponse:
    """Pick a chat stream up again — after a reload, a network change, on any instance: the events
    after `Last-Event-ID` (or `after`), then the running turn's live events until it ends. Without
    an id, from the start of the current (or last) turn."""
    stream = await service.resume(
        session,
        user_id=user_id,
        conversation_id=conversation_id,
        after=last_event_id if last_event_id is not None else after,
    )
    if stream is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)  # type: ignore[return-value]
    return event_stream(stream)


@router.post(
    "/{conversation_id}/stop", status_code=status.HTTP_202_ACCEPTED, responses={409: {"model": ErrorResponse}}
)
async def stop_conversation(
    conversation_id: uuid.UUID, session: SessionDep, user_id: CurrentUserId, service: ChatDep
) -> Response:
    """Stop the conversation's running turn, wherever it runs (within a second). It keeps the
    reply written so far and every tool call that finished; its stream ends with `done`
    carrying `"stopped": true`. 409 `no_running_turn` when nothing is running."""
    await service.stop(session, user_id=user_id, conversation_id=conversation_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)
