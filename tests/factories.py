"""Test data, made directly where HTTP is not the point: users with tokens, and tasks."""

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pwdlib import PasswordHash

from db.models import ActionSource, User
from tools import tasks
from tools.audit import Origin
from tools.schemas import TaskCreate, TaskPublic

PASSWORD = "correct horse battery"
# Hashed once per run: argon2 is slow on purpose, and most tests never log in with it.
_PASSWORD_HASH = PasswordHash.recommended().hash(PASSWORD)


@dataclass(frozen=True)
class AuthedUser:
    id: str
    email: str
    token: str

    @property
    def uuid(self) -> uuid.UUID:
        return uuid.UUID(self.id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_user(app: FastAPI, email: str | None = None) -> AuthedUser:
    """A user who could log in with PASSWORD, and a token of theirs."""
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    async with app.state.sessionmaker() as session:
        user = User(email=email, password_hash=_PASSWORD_HASH)
        session.add(user)
        await session.commit()
    return AuthedUser(id=str(user.id), email=email, token=app.state.tokens.issue(user.id))


async def make_task(app: FastAPI, user: AuthedUser, title: str = "A task", **fields: Any) -> TaskPublic:
    """A task of `user`, created through the operation itself (so it is audited, as source rest)."""
    async with app.state.sessionmaker() as session:
        invocation = await tasks.create_task(
            session,
            TaskCreate(title=title, **fields),
            user_id=user.uuid,
            origin=Origin(source=ActionSource.rest),
        )
    return invocation.unwrap()
