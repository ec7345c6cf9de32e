"""The model behind the agent: any OpenAI-compatible server, or the built-in offline model."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx2
from agents import Model, OpenAIChatCompletionsModel, OpenAIResponsesModel
from agents.models import get_default_model
from openai import AsyncOpenAI
from pydantic import BaseModel, Field, SecretStr

from agent.config import CommaSeparated
from agent.context import ChatContext
from agent.model_client import ModelClient
from agent.offline.model import OfflineModel

Provider = Literal["openai", "offline", "replay"]


class LlmSettings(BaseModel):
    """`LLM_*`: which model answers, and how its calls are made (or recorded, or replayed)."""

    # None: openai when OPENAI_API_KEY is set, else the built-in offline (rule-based) model.
    provider: Provider | None = None
    model: str | None = None  # None: the Agents SDK's default model
    api: Literal["responses", "chat_completions"] = "responses"
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(2, ge=0)
    # Read by the process entry point (`backend.main`), which wires the `replay` package in.
    record_dir: str | None = None  # record every model exchange into cassettes here
    cassette: CommaSeparated = Field(default_factory=list)  # replay: cassette files or directories
    replay_mode: Literal["strict", "sequential"] = "strict"


class OpenAISettings(BaseModel):
    """`OPENAI_*`: the OpenAI-compatible server's endpoint and credentials."""

    api_key: SecretStr | None = None
    base_url: str | None = None


def provider_of(llm: LlmSettings, openai: OpenAISettings) -> Provider:
    if llm.provider:
        return llm.provider
    return "openai" if openai.api_key else "offline"


@dataclass
class ChatModel:
    """The model each turn talks to (a function of the turn: the offline model is told the
    user's today), and the HTTP client to close when the app stops."""

    for_turn: Callable[[ChatContext], Model]
    client: AsyncOpenAI | None = None

    @classmethod
    def fixed(cls, model: Model) -> "ChatModel":
        return cls(lambda _ctx: model)

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.close()


def build_model(
    llm: LlmSettings, openai: OpenAISettings, transport: httpx2.AsyncBaseTransport | None = None
) -> ChatModel:
    """`transport` carries the traffic to the model: tests put a mock there, the entry point a
    recorder or a replay of recorded traffic."""
    if provider_of(llm, openai) == "offline":
        return ChatModel(lambda ctx: OfflineModel(today=ctx.now.date()))
    # The stock client, minus a cost per history item on every model call (see agent.model_client).
    client = ModelClient(
        # Local OpenAI-compatible servers often take any key; the client insists on one.
        api_key=openai.api_key.get_secret_value() if openai.api_key else "not-needed",
        base_url=openai.base_url,
        timeout=llm.timeout_s,
        max_retries=llm.max_retries,
        http_client=httpx2.AsyncClient(transport=transport) if transport else None,
    )
    name = llm.model or get_default_model()
    model: Model
    if llm.api == "chat_completions":
        model = OpenAIChatCompletionsModel(model=name, openai_client=client)
    else:
        model = OpenAIResponsesModel(model=name, openai_client=client)
    return ChatModel(lambda _ctx: model, client)


def model_name(model: Model) -> str:
    """The name recorded with each turn: what actually answered."""
    return str(getattr(model, "model", None) or type(model).__name__)
