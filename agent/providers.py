"""The model behind the agent: any OpenAI-compatible server, or the built-in offline model."""

import httpx2
from agents import Model, OpenAIChatCompletionsModel, OpenAIResponsesModel
from agents.models import get_default_model
from openai import AsyncOpenAI

from agent.config import AgentConfig
from agent.offline.model import OfflineModel


def build_model(config: AgentConfig, http_client: httpx2.AsyncClient | None = None) -> Model:
    """`http_client` carries the traffic to the model (tests put a mock transport there)."""
    if config.provider == "offline":
        return OfflineModel()
    client = AsyncOpenAI(
        api_key=config.api_key or "not-needed",  # local OpenAI-compatible servers often take any key
        base_url=config.base_url,
        timeout=config.timeout_s,
        max_retries=config.max_retries,
        http_client=http_client,
    )
    name = config.model or get_default_model()
    if config.api == "chat_completions":
        return OpenAIChatCompletionsModel(model=name, openai_client=client)
    return OpenAIResponsesModel(model=name, openai_client=client)


def model_name(model: Model) -> str:
    """The name recorded with each turn: what actually answered."""
    return str(getattr(model, "model", None) or type(model).__name__)
