"""The model behind the agent: any OpenAI-compatible server, or the built-in offline model."""

import httpx2
from agents import Model, OpenAIChatCompletionsModel, OpenAIResponsesModel
from agents.models import get_default_model
from openai import AsyncOpenAI

from agent.config import AgentConfig
from agent.offline.model import OfflineModel
from agent.recording import Recorder, RecordingTransport
from agent.replay.cassette import CassetteError, find, load
from agent.replay.transport import replay_transport


def build_model(
    config: AgentConfig,
    transport: httpx2.AsyncBaseTransport | None = None,
    recorder: Recorder | None = None,
) -> Model:
    """`transport` carries the traffic to the model (tests put a mock there); with a `recorder`,
    every exchange is also written to its conversation's cassette."""
    if config.provider == "offline":
        return OfflineModel()
    api, name, retries = config.api, config.model or get_default_model(), config.max_retries
    if config.provider == "replay":
        exchanges = [e for path in find(list(config.cassettes)) for e in load(path).exchanges]
        if not exchanges:
            raise CassetteError(
                f"no recorded model exchange in {', '.join(config.cassettes) or 'LLM_CASSETTE'}"
            )
        transport = replay_transport(exchanges, config.replay_mode)
        api, name, retries = exchanges[0].api, exchanges[0].body.get("model", name), 0
    if recorder is not None:
        transport = RecordingTransport(recorder, transport)
    client = AsyncOpenAI(
        api_key=config.api_key or "not-needed",  # local OpenAI-compatible servers often take any key
        base_url=config.base_url,
        timeout=config.timeout_s,
        max_retries=retries,
        http_client=httpx2.AsyncClient(transport=transport) if transport else None,
    )
    if api == "chat_completions":
        return OpenAIChatCompletionsModel(model=name, openai_client=client)
    return OpenAIResponsesModel(model=name, openai_client=client)


def model_name(model: Model) -> str:
    """The name recorded with each turn: what actually answered."""
    return str(getattr(model, "model", None) or type(model).__name__)
