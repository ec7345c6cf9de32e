"""The five task operations. Each is one short transaction that also writes its audit row; the
two reads may also run unaudited (`tools.operations.ReadOperation`).

A task that does not exist and a task of another user are the same `NotFound`: every query is
filtered by the acting user's id, so another user's task is never even read. The reads are one
statement each, which also finds the acting user's row: a token that outlived its account gets
`UnknownUser` rather than an empty answer, at no extra round trip.
"""

import re
import uuid
from typing import Any

from sqlalchemy import Integer, Row, Select, String, bindparam, case, delete, func, or_, select, true, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Priority, Task, User
from db.types import utcnow
from tools.errors import NotFound, UnknownUser
from tools.operations import operation, read_operation
from tools.schemas import TaskChange, TaskCreate, TaskPage, TaskPublic, TaskQuery, TaskRef

# What a read selects: the columns of the public view, in its order.
PUBLIC_COLUMNS = [getattr(Task, name) for name in TaskPublic.model_fields]


@operation
async def create_task(session: AsyncSession, args: TaskCreate, *, user_id: uuid.UUID) -> TaskPublic:
    """Create a task for the user.

    Resolve relative dates ("Friday", "tomorrow") to YYYY-MM-DD using today's date from your
    instructions. Priority is low, medium (the default) or high.
    """
    now = utcnow()
    task = Task(user_id=user_id, **args.model_dump(), created_at=now, updated_at=now)
    session.add(task)
    return TaskPublic.model_validate(task)


@read_operation
async def read_task(session: AsyncSession, args: TaskRef, *, user_id: uuid.UUID) -> TaskPublic:
    """Get one task with all its fields. Find its id with list_tasks first."""
    rows = await _as_user(session, _READ, {"user_id": user_id, "task_id": args.task_id})
    if rows[0].id is None:
        raise NotFound(f"task {args.task_id} not found")
    return TaskPublic.model_validate(rows[0])


@operation
async def update_task(session: AsyncSession, args: TaskChange, *, user_id: uuid.UUID) -> TaskPublic:
    """Change some fields of one task; fields you leave out stay as they are.

    completed=true marks the task done and completed=false reopens it. Pass description or
    due_date as null to clear them. Find the task's id with list_tasks first.
    """
    changes = args.changes()
    now = utcnow()
    values: dict[str, Any] = {**changes, "updated_at": now}
    if "completed" in changes:
        # Completing an already-completed task keeps the original completion time.
        values["completed_at"] = (
            case((col(Task.completed), Task.completed_at), else_=now) if changes["completed"] else None
        )
    stmt = (
        update(Task)
        .where(col(Task.id) == args.task_id, col(Task.user_id) == user_id)
        .values(**values)
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    return _public((await session.exec(stmt)).scalars().one_or_none(), args.task_id)


@operation
async def delete_task(session: AsyncSession, args: TaskRef, *, user_id: uuid.UUID) -> TaskPublic:
    """Delete one task permanently. Find its id with list_tasks first."""
    stmt = (
        delete(Task)
        .where(col(Task.id) == args.task_id, col(Task.user_id) == user_id)
        .returning(Task)
        .execution_options(synchronize_session=False)
    )
    return _public((await session.exec(stmt)).scalars().one_or_none(), args.task_id)


@read_operation
async def list_tasks(session: AsyncSession, args: TaskQuery, *, user_id: uuid.UUID) -> TaskPage:
    """List the user's tasks, with optional filters, search, sorting and paging.

    Use search to find a task the user names ("the dentist task" -> search="dentist").
    Returns {items, total, limit, offset}; use offset to read further pages.
    """
    rows = await _as_user(session, _listing(args), _parameters(args, user_id))
    items = [TaskPublic.model_validate(row) for row in rows if row.id is not None]
    return TaskPage(items=items, total=rows[0].total, limit=args.limit, offset=args.offset)


def _public(task: Task | None, task_id: uuid.UUID) -> TaskPublic:
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return TaskPublic.model_validate(task)


async def _as_user(session: AsyncSession, stmt: Select[Any], parameters: dict[str, Any]) -> list[Row[Any]]:
    """The rows of `stmt`, a select from the users table, for the user `parameters` name: at
    least one, or `UnknownUser` if the account is gone."""
    # On the session's connection: plain rows need none of the ORM's result machinery.
    connection = await session.connection()
    rows = list(await connection.execute(stmt, parameters))
    if not rows:
        raise UnknownUser("invalid or expired token")
    return rows


# The statements take their values as parameters, so that each is built (and its cache key
# computed) once per shape rather than once per request: the building cost more than the query.
_USER = col(User.id) == bindparam("user_id")
_OWNED = (col(Task.id) == bindparam("task_id")) & (col(Task.user_id) == col(User.id))
_READ = select(*PUBLIC_COLUMNS).select_from(User).outerjoin(Task, _OWNED).where(_USER)
# Which of TaskQuery's fields change the statement's text when set; the rest are values.
_OPTIONAL = ("priority", "search", "due_before", "due_after")


def _listing(query: TaskQuery) -> Select[Any]:
    """The statement for queries of this one's shape: its filters, sort and order."""
    shape = (query.status, query.sort_by, query.order, *(getattr(query, name) is None for name in _OPTIONAL))
    stmt = _LISTINGS.get(shape)
    if stmt is None:
        stmt = _LISTINGS[shape] = _build_listing(query)
    return stmt


_LISTINGS: dict[tuple[Any, ...], Select[Any]] = {}  # at most 3 x 4 x 2 x 2**4 shapes


def _build_listing(query: TaskQuery) -> Select[Any]:
    where = _filters(query)
    total = select(func.count()).select_from(Task).where(*where).scalar_subquery()
    page = (
        select(*PUBLIC_COLUMNS)
        .where(*where)
        .order_by(*_ordering(query, Task))
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("page")
    )
    # The page rides on the user's row (a page past the end is that row alone, with the total).
    return (
        select(total.label("total"), *page.c)
        .select_from(User)
        .outerjoin(page, true())
        .where(_USER)
        .order_by(*_ordering(query, page.c))
    )


def _parameters(query: TaskQuery, user_id: uuid.UUID) -> dict[str, Any]:
    values = query.model_dump(include={"priority", "due_before", "due_after", "limit", "offset"})
    if query.search is not None:
        values["search"] = _LIKE_SPECIAL.sub(r"/\g<0>", query.search)
    return values | {"user_id": user_id}


# What `icontains(..., autoescape=True)` escapes; it cannot apply to a parameter, so it is done here.
_LIKE_SPECIAL = re.compile("[/%_]")


def _filters(query: TaskQuery) -> list[Any]:
    where: list[Any] = [col(Task.user_id) == bindparam("user_id")]
    if query.status != "all":
        where.append(col(Task.completed) == (query.status == "completed"))
    if query.priority is not None:
        where.append(col(Task.priority) == bindparam("priority"))
    if query.search is not None:
        search = bindparam("search", type_=String)
        where.append(
            or_(
                col(Task.title).icontains(search, escape="/"),
                col(Task.description).icontains(search, escape="/"),
            )
        )
    if query.due_before is not None:
        where.append(col(Task.due_date) <= bindparam("due_before"))
    if query.due_after is not None:
        where.append(col(Task.due_date) >= bindparam("due_after"))
    return where


def _ordering(query: TaskQuery, tasks: Any) -> list[Any]:
    """The order of `query` over `tasks`: the table, or a subquery with the same column names."""
    key = {
        "created_at": tasks.created_at,
        "due_date": tasks.due_date,
        "priority": case({Priority.low: 0, Priority.medium: 1, Priority.high: 2}, value=tasks.priority),
        "title": func.lower(tasks.title),
    }[query.sort_by]
    primary = key.desc() if query.order == "desc" else key.asc()
    if query.sort_by == "due_date":
        primary = primary.nulls_last()  # undated tasks go last whichever way the dates run
    # The id breaks ties so that pages never overlap or skip a row.
    return [primary, tasks.created_at.asc(), tasks.id.asc()]
