"""Registration, login and the current user."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ValidationError

from backend.deps import CurrentUser, SessionDep, SettingsDep, TokensDep
from backend.errors import UNREADABLE_BODY, ErrorResponse
from backend.guards import RATE_LIMITED, AdmitRegistration, ClientAddress, RateStoreDep, admit_login
from tools.accounts import Credentials, Registration, UserPublic, authenticate, register_user
from tools.errors import InvalidInput

router = APIRouter(prefix="/api/auth", tags=["auth"])
LIMITED: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse},
    429: {"model": ErrorResponse, "description": RATE_LIMITED},
    **UNREADABLE_BODY,
}


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
    responses={409: {"model": ErrorResponse}, **LIMITED},
    dependencies=[AdmitRegistration],
)
async def register(body: Registration, session: SessionDep, tokens: TokensDep) -> TokenResponse:
    """Create an account and return an access token for it."""
    return _token_for(await register_user(session, body), tokens)


@router.post("/login", responses={401: {"model": ErrorResponse}, **LIMITED})
async def login(
    body: Credentials,
    session: SessionDep,
    tokens: TokensDep,
    store: RateStoreDep,
    settings: SettingsDep,
    address: ClientAddress,
) -> TokenResponse:
    """Exchange email and password for an access token."""
    await admit_login(store, settings, address, body.email)
    return _token_for(await authenticate(session, body), tokens)


@router.post("/token", responses={401: {"model": ErrorResponse}, **LIMITED})
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    tokens: TokensDep,
    store: RateStoreDep,
    settings: SettingsDep,
    address: ClientAddress,
) -> TokenResponse:
    """OAuth2 password flow (form fields `username` = email, `password`), for the /docs Authorize button."""
    credentials = credentials_of(form)
    await admit_login(store, settings, address, credentials.email)
    return _token_for(await authenticate(session, credentials), tokens)


def credentials_of(form: OAuth2PasswordRequestForm) -> Credentials:
    """The form's fields, checked like the JSON login's (a 422 naming the field)."""
    try:
        return Credentials(email=form.username, password=form.password)
    except ValidationError as exc:
        raise InvalidInput.from_errors(exc.errors()) from exc


@router.get("/me", responses={401: {"model": ErrorResponse}})
async def me(user: CurrentUser) -> UserPublic:
    """The authenticated user."""
    return user
