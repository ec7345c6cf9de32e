"""`/api/actions`: the caller's audit trail."""

from fastapi import APIRouter

from backend.deps import ACTION_QUERY, ActionQueryDep, CurrentUser, SessionDep
from backend.errors import ErrorResponse
from tools import audit
from tools.schemas import ActionPage

router = APIRouter(
    prefix="/api/actions",
    tags=["audit"],
    responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)


@router.get("", openapi_extra=ACTION_QUERY.openapi)
async def list_actions(query: ActionQueryDep, session: SessionDep, user: CurrentUser) -> ActionPage:
    """Every task operation you made, from any interface, newest first."""
    return await audit.list_actions(session, query, user_id=user.id)
