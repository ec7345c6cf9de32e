"""User accounts: registration, password login and lookup."""

import asyncio
import uuid
from typing import Annotated

from pwdlib import PasswordHash
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.limits import NAME_MAX
from db.models import User
from tools.errors import Conflict, InvalidCredentials
from tools.schemas import no_nul

_hasher = PasswordHash.recommended()  # argon2id
# Verified when the email is unknown, so a login takes as long whether or not the account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX), AfterValidator(no_nul)
]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password
    name: Name | None = None


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    password: str


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    name: str | None


async def register_user(session: AsyncSession, data: Registration) -> UserPublic:
    password_hash = await asyncio.to_thread(_hasher.hash, data.password)
    user = User(email=data.email.lower(), password_hash=password_hash, name=data.name)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:  # the unique index on lower(email) settles concurrent sign-ups too
        await session.rollback()
        raise Conflict("an account with this email already exists") from exc
    return UserPublic.model_validate(user)


async def authenticate(session: AsyncSession, credentials: Credentials) -> UserPublic:
    stmt = select(User).where(func.lower(User.email) == credentials.email.strip().lower())
    user = (await session.exec(stmt)).one_or_none()
    stored = user.password_hash if user and user.password_hash else _DUMMY_HASH
    valid = await asyncio.to_thread(_hasher.verify, credentials.password, stored)
    if user is None or user.password_hash is None or not valid:
        raise InvalidCredentials("incorrect email or password")
    return UserPublic.model_validate(user)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserPublic | None:
    user = await session.get(User, user_id)
    return UserPublic.model_validate(user) if user else None


async def get_or_create_external_user(
    session: AsyncSession, *, subject: str, email: str | None, name: str | None
) -> UserPublic:
    """The local row for a subject of an external identity provider, created on first sight."""
    stmt = select(User).where(User.external_subject == subject)
    user = (await session.exec(stmt)).one_or_none()
    if user is not None:
        return UserPublic.model_validate(user)
    user = User(external_subject=subject, email=email.lower() if email else None, name=name)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:
        # Another request created it first, or the email belongs to a local account: look again by subject.
        await session.rollback()
        user = (await session.exec(stmt)).one_or_none()
        if user is None:
            user = User(external_subject=subject, name=name)
            session.add(user)
            await session.commit()
    return UserPublic.model_validate(user)
