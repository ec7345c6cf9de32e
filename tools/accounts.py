"""User accounts: registration, password login and lookup."""

import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.limits import NAME_MAX
from db.models import User
from tools.emails import Email, TypedEmail
from tools.errors import Conflict, InvalidCredentials, InvalidInput
from tools.passwords import Password, TypedPassword, check_password, hash_password, verify_password
from tools.schemas import storable_text

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX),
    AfterValidator(storable_text),
]


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email = Field(description="Compared and stored case-folded, in Unicode NFKC.")
    password: Password = Field(
        description="8-128 characters; not your email address, not a common or easily guessed password."
    )
    name: Name | None = None


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: TypedEmail
    password: TypedPassword


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str | None
    name: str | None


async def register_user(session: AsyncSession, data: Registration) -> UserPublic:
    weakness = await check_password(data.password, email=data.email, name=data.name)
    if weakness:
        message = f"password: {weakness}"
        raise InvalidInput(message, [{"field": "password", "message": weakness, "type": "weak_password"}])
    password_hash = await hash_password(data.password)
    user = User(email=data.email, password_hash=password_hash, name=data.name)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:  # the unique index on lower(email) settles concurrent sign-ups too
        await session.rollback()
        raise Conflict("an account with this email already exists") from exc
    return UserPublic.model_validate(user)


async def authenticate(session: AsyncSession, credentials: Credentials) -> UserPublic:
    # Stored addresses are in normal form; lower() on both sides lets the unique index serve this.
    stmt = select(User).where(func.lower(User.email) == func.lower(credentials.email))
    user = (await session.exec(stmt)).one_or_none()
    found = UserPublic.model_validate(user) if user else None
    stored = user.password_hash if user else None
    # The connection goes back to the pool before the slow part: queued logins must not hold it.
    await session.rollback()
    if not await verify_password(credentials.password, stored) or found is None:
        raise InvalidCredentials("incorrect email or password")
    return found


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> UserPublic | None:
    user = await session.get(User, user_id)
    return UserPublic.model_validate(user) if user else None


async def get_or_create_external_user(
    session: AsyncSession, *, subject: str, email: str | None, name: str | None
) -> UserPublic:
    """The local row for a subject of an external identity provider, created on first sight.
    `email` must be in normal form already (`tools.emails.email_or_none`)."""
    stmt = select(User).where(User.external_subject == subject)
    user = (await session.exec(stmt)).one_or_none()
    if user is not None:
        return UserPublic.model_validate(user)
    user = User(external_subject=subject, email=email, name=name)
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
