"""The concurrency comparator: a chat server as a competent developer writes it in an afternoon.

FastAPI with the tutorial's patterns: a request-scoped `AsyncSession` from a `yield` dependency
(`SessionDep`), a `CurrentUser` dependency that verifies an HS256 JWT and loads the user through
that session, pwdlib password hashes. The chat route runs the Agents SDK's own pieces:
`Runner.run_streamed` with the SDK's `SQLAlchemySession` as the conversation memory (last 50
items), streamed as Server-Sent Events by sse-starlette's `EventSourceResponse`. The same five
task tools do real work in PostgreSQL through the request's session (carried in the run
context), and the agent has the service's instructions (`agent.instructions.RULES`).

What it does not do (and the service does): audit rows, rate limits, leases on a conversation,
idempotency, resumable streams. What it holds: the request's session lives until the streamed
response ends (FastAPI closes `yield` dependencies after the response), so a chat keeps the
connection its user lookup took until its first tool call commits: over the first model call.

Two engines of `DB_POOL_SIZE` connections each, no overflow, SQLAlchemy's default timeout: one
for the requests' sessions, one for the SDK's memory. With one engine for both, each chat holds
a connection while the memory asks for a second, and five chats at once deadlock the pool until
its timeout (measured: 100 chats at once, none finished, every one a QueuePool timeout); a
developer meets that in the first test with a few users and gives the memory its own engine, as
the SDK's `SQLAlchemySession.from_url` does. That gives the comparator twice the service's
connections.

`python -m bench.naive_chat --port N`, with DATABASE_URL, OPENAI_BASE_URL, OPENAI_API_KEY,
JWT_SECRET and DB_POOL_SIZE in the environment. It speaks the benchmark client's protocol
(`bench.client`): the same register and chat paths, `conversation`, `done` and `error` events.
"""

import argparse
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import uvicorn
from agents import Agent, RunContextWrapper, Runner, SessionSettings, function_tool, set_tracing_disabled
from agents.extensions.memory import SQLAlchemySession
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pwdlib import PasswordHash
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sse_starlette import EventSourceResponse

from agent.instructions import RULES

log = logging.getLogger("naive_chat")
SECRET = os.environ.get("JWT_SECRET", "")
passwords = PasswordHash.recommended()
set_tracing_disabled(True)  # no trace export to OpenAI from a loopback benchmark


class User(SQLModel, table=True):
    __tablename__ = "naive_users"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True)
    hashed_password: str


class Task(SQLModel, table=True):
    __tablename__ = "naive_tasks"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID = Field(foreign_key="naive_users.id", index=True)
    title: str
    notes: str | None = None
    done: bool = False
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Ctx:
    user_id: uuid.UUID
    session: AsyncSession


async def _owned(ctx: Ctx, task_id: str) -> Task:
    task = await ctx.session.get(Task, uuid.UUID(task_id))
    if task is None or task.owner_id != ctx.user_id:
        raise ValueError("task not found")
    return task


@function_tool
async def create_task(ctx: RunContextWrapper[Ctx], title: str, notes: str | None = None) -> str:
    """Create a task for the user."""
    task = Task(owner_id=ctx.context.user_id, title=title, notes=notes)
    ctx.context.session.add(task)
    await ctx.context.session.commit()
    return task.model_dump_json()


@function_tool
async def read_task(ctx: RunContextWrapper[Ctx], task_id: str) -> str:
    """Read one of the user's tasks."""
    return (await _owned(ctx.context, task_id)).model_dump_json()


@function_tool
async def update_task(
    ctx: RunContextWrapper[Ctx], task_id: str, title: str | None = None, done: bool | None = None
) -> str:
    """Change a task's title or mark it done (or not done)."""
    task = await _owned(ctx.context, task_id)
    task.title = title if title is not None else task.title
    task.done = done if done is not None else task.done
    await ctx.context.session.commit()
    return task.model_dump_json()


@function_tool
async def delete_task(ctx: RunContextWrapper[Ctx], task_id: str) -> str:
    """Delete one of the user's tasks."""
    task = await _owned(ctx.context, task_id)
    await ctx.context.session.delete(task)
    await ctx.context.session.commit()
    return json.dumps({"deleted": task_id})


@function_tool
async def list_tasks(ctx: RunContextWrapper[Ctx], done: bool | None = None, limit: int = 20) -> str:
    """List the user's tasks, newest first."""
    query = select(Task).where(Task.owner_id == ctx.context.user_id)
    if done is not None:
        query = query.where(Task.done == done)
    tasks = (await ctx.context.session.exec(query.order_by(col(Task.created_at).desc()).limit(limit))).all()
    return json.dumps([json.loads(t.model_dump_json()) for t in tasks])


AGENT = Agent[Ctx](
    name="todo",
    instructions=RULES,
    model="gpt-bench",
    tools=[create_task, read_task, update_task, delete_task, list_tasks],
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url, size = os.environ["DATABASE_URL"], int(os.environ.get("DB_POOL_SIZE", "5"))
    engine = create_async_engine(url, pool_size=size, max_overflow=0)
    memory = create_async_engine(url, pool_size=size, max_overflow=0)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[User.__table__, Task.__table__])  # type: ignore[attr-defined]
    await SQLAlchemySession("setup", engine=memory, create_tables=True).get_items()  # the SDK's tables
    app.state.engine, app.state.memory = engine, memory
    yield
    await engine.dispose()
    await memory.dispose()


app = FastAPI(lifespan=lifespan)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(request.app.state.engine, expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def current_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())]
) -> User:
    try:
        user_id = uuid.UUID(jwt.decode(credentials.credentials, SECRET, algorithms=["HS256"])["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError) as exc:
        raise HTTPException(401, "invalid token") from exc
    user = await session.get(User, user_id)
    if user is None:
        raise HTTPException(401, "invalid token")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


class Credentials(BaseModel):
    email: str
    password: str


class ChatIn(BaseModel):
    message: str
    conversation_id: uuid.UUID | None = None


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/auth/register")
async def register(body: Credentials, session: SessionDep) -> dict[str, str]:
    user = User(email=body.email, hashed_password=passwords.hash(body.password))
    session.add(user)
    await session.commit()
    expires = datetime.now(UTC) + timedelta(minutes=60)
    return {"access_token": jwt.encode({"sub": str(user.id), "exp": expires}, SECRET, algorithm="HS256")}


@app.post("/api/chat")
async def chat(body: ChatIn, user: CurrentUser, session: SessionDep, request: Request) -> EventSourceResponse:
    conversation_id = body.conversation_id or uuid.uuid4()
    engine: AsyncEngine = request.app.state.memory
    memory = SQLAlchemySession(
        f"{user.id}:{conversation_id}", engine=engine, session_settings=SessionSettings(limit=50)
    )
    result = Runner.run_streamed(AGENT, body.message, context=Ctx(user.id, session), session=memory)

    async def events() -> AsyncIterator[dict[str, Any]]:
        yield {"event": "conversation", "data": json.dumps({"conversation_id": str(conversation_id)})}
        try:
            async for event in result.stream_events():
                if event.type == "raw_response_event" and event.data.type == "response.output_text.delta":
                    yield {"event": "text_delta", "data": json.dumps({"delta": event.data.delta})}
                elif event.type == "run_item_stream_event" and event.name in ("tool_called", "tool_output"):
                    yield {"event": event.name, "data": json.dumps({"item": event.item.type})}
        except Exception as exc:
            log.exception("chat failed")
            yield {"event": "error", "data": json.dumps({"code": type(exc).__name__})}
            return
        yield {"event": "done", "data": json.dumps({"conversation_id": str(conversation_id)})}

    return EventSourceResponse(events())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", backlog=4096)


if __name__ == "__main__":
    main()
