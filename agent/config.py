"""The agent's configuration, as plain values (the backend reads it from its Settings)."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class AgentConfig:
    provider: Literal["openai", "offline", "replay"] = "offline"
    api_key: str | None = None
    base_url: str | None = None
    model: str | None = None  # None: the Agents SDK's default model
    api: Literal["responses", "chat_completions"] = "responses"
    timeout_s: float = 60.0
    max_retries: int = 2
    max_turns: int = 10
    history_max_items: int = 50
    lease_s: float = 60.0
    turn_timeout_s: float = 300.0
    tracing: bool = False
    record_dir: str | None = None  # append every model exchange to cassettes here
    cassettes: tuple[str, ...] = ()  # replay: cassette files or directories
    replay_mode: Literal["strict", "sequential"] = "strict"
