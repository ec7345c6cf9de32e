"""Cassettes: one recorded conversation per file, one JSON object per line (JSON Lines).

Every line has `version` (1) and `kind`:

- `exchange`: one model call, in the order made. `conversation_id`, `turn` (the turn's number,
  from 1), `request` {`method`, `path`, `body` (the JSON the openai client sent)} and `response`
  {`status`, `headers` (only `content-type`, `openai-model`, `x-request-id`), `body` (the text
  received: for streams, the Server-Sent Events as they came, fragments and all)}.
- `turn`: written when a turn ends, after its exchanges. `conversation_id`, `turn`, `message`
  (what the user sent), `timezone` and `now` (the user's time zone and local time: the replay's
  clock), `status` (`completed` or `failed`), `error` (the failure code or null), `reply`,
  `tool_calls` ([{`call_id`, `name`, `arguments`, `status`, `result`, `error`}], from the audit
  trail) and `tasks` (the user's task list afterwards: `title`, `description`, `priority`,
  `due_date`, `completed`).

A cassette may be edited by hand: a replay compares what it sends and what the backend does with
these lines (see `replay.compare` for what may differ between runs).
"""

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

CASSETTE_VERSION = 1
TASK_FIELDS = ("title", "description", "priority", "due_date", "completed")


def task_view(task: dict[str, Any]) -> dict[str, Any]:
    """A task as a turn line keeps it: what the user sees of it, without ids and timestamps."""
    return {name: task.get(name) for name in TASK_FIELDS}


class CassetteError(Exception):
    """A cassette that cannot be used: unreadable, truncated, or of an unknown version."""


@dataclass(frozen=True)
class Exchange:
    turn: int
    path: str
    body: Any
    status: int
    headers: dict[str, str]
    response: str
    today: date | None = None  # the user's date during the turn (from its turn line)

    @property
    def api(self) -> Literal["responses", "chat_completions"]:
        return "chat_completions" if self.path.endswith("/chat/completions") else "responses"


@dataclass(frozen=True)
class RecordedTurn:
    seq: int
    message: str
    timezone: str
    now: datetime
    status: str
    error: str | None
    reply: str | None
    tool_calls: list[dict[str, Any]]
    tasks: list[dict[str, Any]] | None  # None: not recorded (a transcript)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.timezone)).date()


@dataclass
class Cassette:
    path: Path
    exchanges: list[Exchange] = field(default_factory=list)
    turns: list[RecordedTurn] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(".jsonl")

    @property
    def model(self) -> str:
        models = (e.body.get("model") for e in self.exchanges if isinstance(e.body, dict))
        return str(next((m for m in models if m), "recorded"))

    @property
    def api(self) -> Literal["responses", "chat_completions"]:
        return self.exchanges[0].api if self.exchanges else "responses"


def load(path: str | Path) -> Cassette:
    path = Path(path)
    cassette = Cassette(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise CassetteError(f"{path}: cannot read: {exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            _add(cassette, record)
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise CassetteError(
                f"{path}:{number}: not a complete cassette record ({exc}); truncated?"
            ) from exc
    if not cassette.turns:
        raise CassetteError(f"{path}: no recorded turn")
    today = {turn.seq: turn.today for turn in cassette.turns}
    cassette.exchanges = [replace(e, today=today.get(e.turn)) for e in cassette.exchanges]
    return cassette


def _add(cassette: Cassette, record: dict[str, Any]) -> None:
    if record["version"] != CASSETTE_VERSION:
        raise ValueError(f"unknown cassette version {record['version']}")
    if record["kind"] == "exchange":
        response = record["response"]
        cassette.exchanges.append(
            Exchange(
                record["turn"],
                record["request"]["path"],
                record["request"]["body"],
                response["status"],
                response["headers"],
                response["body"],
            )
        )
    elif record["kind"] == "turn":
        cassette.turns.append(
            RecordedTurn(
                seq=record["turn"],
                message=record["message"],
                timezone=record["timezone"],
                now=datetime.fromisoformat(record["now"]),
                status=record["status"],
                error=record.get("error"),
                reply=record.get("reply"),
                tool_calls=record["tool_calls"],
                tasks=record["tasks"],
            )
        )


def find(paths: list[str | Path]) -> list[Path]:
    """Conversations among `paths`: files as given, directories searched for cassettes (`*.jsonl`)
    and transcripts (`*.json`)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        found.extend(sorted([*path.rglob("*.jsonl"), *path.rglob("*.json")]) if path.is_dir() else [path])
    return found
