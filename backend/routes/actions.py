"""`/api/actions`: the caller's audit trail."""

from typing import Annotated

from fastapi import APIRouter, Query

from backend.deps import CurrentUser, SessionDep
from backend.errors import ErrorResponse
from tools import audit
from tools.schemas import ActionPage, ActionQuery

router = APIRouter(prefix="/api/actions", tags=["audit"], responses={401: {"model": ErrorResponse}})


@router.get("")
async def list_actions(
    query: Annotated[ActionQuery, Query()], session: SessionDep, user: CurrentUser
) -> ActionPage:
    """Every task operation you made, from any interface, newest first."""
    return await audit.list_actions(session, query, user_id=user.id)
