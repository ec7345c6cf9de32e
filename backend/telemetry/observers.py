"""Counted where the work is recorded: turns as the chat service stores them, tool invocations as
their audit rows are written (whichever door they came through: REST, agent routes, chat, MCP),
and the plain REST reads, which write no audit row, as they are answered."""

from typing import Any

from sqlalchemy import event

from agent.chat import FinishedTurn
from backend.telemetry.instruments import Instruments
from backend.telemetry.providers import current
from db.models import Action, ActionSource, ActionStatus


class TurnMetrics:
    """A `TurnObserver`: every finished turn, by outcome (`completed`, `stopped`, or the code it
    failed with: `interrupted` for a lost lease or a deploy, `model_timeout`, ...)."""

    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments

    async def turn_finished(self, turn: FinishedTurn) -> None:
        outcome = str(turn.error.code) if turn.error else "stopped" if turn.stopped else "completed"
        self._instruments.turns.add(1, {"outcome": outcome})


def count_invocations() -> None:
    """Count each audit row as one invocation (installed once per process; see `current`)."""
    if not event.contains(Action, "after_insert", _counted):
        event.listen(Action, "after_insert", _counted)


def count_invocation(tool: str, source: ActionSource, status: ActionStatus) -> None:
    """One invocation of a task operation, for the app whose request this is."""
    telemetry = current.get()
    if telemetry is not None:
        telemetry.instruments.tool_invocations.add(
            1, {"tool": tool, "source": source.value, "status": status.value}
        )


def _counted(_mapper: Any, _connection: Any, action: Action) -> None:
    count_invocation(action.tool, action.source, action.status)
