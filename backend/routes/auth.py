"""Registration, login and the current user."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from backend.deps import CurrentUser, SessionDep, TokensDep
from backend.errors import ErrorResponse
from tools.accounts import Credentials, Registration, UserPublic, authenticate, register_user

router = APIRouter(prefix="/api/auth", tags=["auth"])


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (an OAuth2 token type, not a secret)
    expires_in: int
    user: UserPublic


def _token_for(user: UserPublic, tokens: TokensDep) -> TokenResponse:
    return TokenResponse(access_token=tokens.issue(user.id), expires_in=tokens.lifetime_s, user=user)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
)
async def register(body: Registration, session: SessionDep, tokens: TokensDep) -> TokenResponse:
    """Create an account and return an access token for it."""
    return _token_for(await register_user(session, body), tokens)


@router.post("/login", responses={401: {"model": ErrorResponse}})
async def login(body: Credentials, session: SessionDep, tokens: TokensDep) -> TokenResponse:
    """Exchange email and password for an access token."""
    return _token_for(await authenticate(session, body), tokens)


@router.post("/token", responses={401: {"model": ErrorResponse}})
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, tokens: TokensDep
) -> TokenResponse:
    """OAuth2 password flow (form fields `username` = email, `password`), for the /docs Authorize button."""
    credentials = Credentials(email=form.username, password=form.password)
    return _token_for(await authenticate(session, credentials), tokens)


@router.get("/me", responses={401: {"model": ErrorResponse}})
async def me(user: CurrentUser) -> UserPublic:
    """The authenticated user."""
    return user
