"""The REST comparator: `GET /api/tasks` as a competent developer writes it in an afternoon.

Plain FastAPI + SQLModel over the same tables (`db.models`), the way the FastAPI docs and the
full-stack template show it: an `AsyncSession` per request (asyncpg), the bearer token verified
with pyjwt (HS256, the same secret and claims our tokens carry), the user loaded with
`session.get`, an ORM `select(Task)` of the owner's tasks with offset/limit and a count, and a
`response_model` page. No audit, no middlewares. Async throughout, like the service.

    DATABASE_URL=postgresql+asyncpg://... JWT_SECRET=... python -m bench.naive_rest --port 8001
"""

import argparse
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Priority, Task, User


class TaskRead(SQLModel):
    id: uuid.UUID
    title: str
    description: str | None
    priority: Priority
    due_date: date | None
    completed: bool
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TaskPage(SQLModel):
    items: list[TaskRead]
    total: int
    limit: int
    offset: int


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The same pool size as the service's default, so the pool is not what differs.
    engine = create_async_engine(os.environ["DATABASE_URL"], pool_size=20, max_overflow=0)
    app.state.sessionmaker = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
bearer = HTTPBearer()
SECRET = os.environ.get("JWT_SECRET", "")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]
) -> User:
    try:
        claims = jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])
        user = await session.get(User, uuid.UUID(claims["sub"]))
    except (jwt.PyJWTError, KeyError, ValueError) as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token") from exc
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@app.get("/api/tasks", response_model=TaskPage)
async def list_tasks(
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TaskPage:
    owned = col(Task.user_id) == user.id
    total = (await session.exec(select(func.count()).select_from(Task).where(owned))).one()
    stmt = select(Task).where(owned).order_by(col(Task.created_at), col(Task.id)).offset(offset).limit(limit)
    tasks = (await session.exec(stmt)).all()
    # SQLModel models read attributes, so the table rows validate straight into the page.
    return TaskPage.model_validate({"items": tasks, "total": total, "limit": limit, "offset": offset})


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
