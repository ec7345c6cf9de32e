"""`@operation`: a task operation's effect, made into the one audited way to run it.

The decorated function is the effect alone — validated arguments in, a result out, raising a
domain error when it cannot. The decorator takes the tool name from the function's name, its
description (written for the model) from the docstring and its argument model from the
signature, and every call runs the effect in one transaction with its audit row and returns both
as an `Invocation`. So the REST route, the agent route, the agent's tool and the MCP tool all run
exactly the same thing, and none can forget the audit.

What is audited: every call of an operation that changes something, whoever makes it, and every
call the agent (chat, agent routes) or an MCP client makes, reads included — what they read is
part of what they did. A read declared with `@read_operation` may also run `unaudited`: that is
how a person reads their own tasks over plain REST, which records nothing, like every other
plain read of one's own data (the audit trail, the conversations).
"""

import uuid
from collections.abc import Awaitable
from typing import Any, Generic, Protocol, TypeVar, get_type_hints

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.audit import Call, Invocation, Origin, audited
from tools.errors import InvalidInput
from tools.paging import Page
from tools.schemas import Arguments

A = TypeVar("A", bound=Arguments)
R = TypeVar("R", bound=BaseModel)
A_in = TypeVar("A_in", bound=Arguments, contravariant=True)
R_out = TypeVar("R_out", bound=BaseModel, covariant=True)


class Effect(Protocol[A_in, R_out]):
    __name__: str

    def __call__(self, session: AsyncSession, /, args: A_in, *, user_id: uuid.UUID) -> Awaitable[R_out]: ...


class ReadEffect(Protocol[A_in, R_out]):
    """An effect that reads one statement, in a session's transaction or on the engine's pool."""

    __name__: str

    def __call__(
        self, db: AsyncSession | AsyncEngine, /, args: A_in, *, user_id: uuid.UUID
    ) -> Awaitable[R_out]: ...


class Operation(Generic[A, R]):
    def __init__(self, effect: Effect[A, R]) -> None:
        self.name = effect.__name__
        self.description = " ".join((effect.__doc__ or "").split())
        self.arguments: type[A] = get_type_hints(effect)["args"]
        self._effect = effect

    def __repr__(self) -> str:
        return f"<operation {self.name}>"

    def validate(self, raw: dict[str, Any]) -> A:
        """Raw arguments (a model's, an MCP client's) checked by the same model REST uses."""
        try:
            return self.arguments.model_validate(raw)
        except ValidationError as exc:
            raise InvalidInput.from_errors(exc.errors()) from exc

    async def __call__(
        self, session: AsyncSession, args: A, *, user_id: uuid.UUID, origin: Origin
    ) -> Invocation[R]:
        call = Call(self.name, args.audited(), user_id, origin)
        return await audited(
            session,
            call,
            lambda: self._effect(session, args, user_id=user_id),
            audited_result,
        )


class ReadOperation(Operation[A, R]):
    """An operation that changes nothing, and so may also run without an audit row."""

    def __init__(self, effect: ReadEffect[A, R]) -> None:
        super().__init__(effect)
        self._read = effect

    async def unaudited(self, engine: AsyncEngine, args: A, *, user_id: uuid.UUID) -> R:
        """The result alone, with no audit row: for a person reading their own data over REST.
        A read is one statement, which sees one snapshot by itself, so it runs on a connection
        the engine's pool lends for it, in no transaction (which would cost two more round trips
        and give nothing). Domain errors are raised."""
        return await self._read(engine, args, user_id=user_id)


def operation(effect: Effect[A, R]) -> Operation[A, R]:
    return Operation(effect)


def read_operation(effect: ReadEffect[A, R]) -> ReadOperation[A, R]:
    """`@operation` for an effect that only reads (one statement), which may also run unaudited."""
    return ReadOperation(effect)


def audited_result(value: BaseModel) -> Any:
    """What the audit row keeps of a result: all of it, except for a page, which keeps the ids it
    returned and the total. A page can be 100 long tasks; the audit trail says which were read,
    not their text again (a deleted task must not live on in it either)."""
    if isinstance(value, Page):
        return {"ids": [str(item.id) for item in value.items], "total": value.total}
    return value.model_dump(mode="json")
