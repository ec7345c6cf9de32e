"""Reading cassettes (see `agent.recording` for the format)."""

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal


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
        return next((e.body.get("model") for e in self.exchanges if isinstance(e.body, dict)), "recorded")

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
    return cassette


def _add(cassette: Cassette, record: dict[str, Any]) -> None:
    if record["version"] != 1:
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
