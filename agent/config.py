"""The agent's settings groups (`AGENT_*`, `CHAT_*`), each default stated here once.

The backend's `Settings` composes them; see `backend.settings` for how the environment maps.
"""

from typing import Annotated

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field
from pydantic_settings import NoDecode


def _split(value: object) -> object:
    if isinstance(value, str):  # an environment variable holds one string: "a, b"
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


# A list given as one comma-separated string, as environment variables do.
CommaSeparated = Annotated[list[str], NoDecode, BeforeValidator(_split)]


class AgentSettings(BaseModel):
    """`AGENT_*`: the SDK's loop."""

    # The SDK calls each model call a "turn"; here a turn is a user message and its reply, so
    # the field says steps (the variable keeps its published name, AGENT_MAX_TURNS).
    max_steps: int = Field(10, ge=1, validation_alias=AliasChoices("max_turns", "max_steps"))
    # Record the SDK's spans for the service's own metrics and traces (model calls, tool calls).
    # They go only to the processors the app installs: never to OpenAI's trace ingestion.
    tracing: bool = True


class ChatSettings(BaseModel):
    """`CHAT_*`: running chat turns."""

    # Short, and renewed every few seconds: after a crash the conversation is free again this soon.
    lease_s: float = Field(10.0, gt=0, description="a running turn's hold on its conversation")
    turn_timeout_s: float = Field(300.0, gt=0, description="the longest a turn may take")
    events_ttl_s: float = Field(3600.0, gt=0, description="how long a finished turn's events stay")
    # Turns past this many wait (their stream open, their lease held) for one to finish: a burst
    # of messages queues in memory instead of every turn's work queueing for the database pool.
    max_active_turns: int = Field(64, ge=1, description="turns one instance runs at once")
