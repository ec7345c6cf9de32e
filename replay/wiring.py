"""What the settings ask of record and replay, for the process entry point to plug in.

`LLM_RECORD_DIR` puts a recorder on the model's transport and among the turn observers;
`LLM_PROVIDER=replay` serves the cassettes of `LLM_CASSETTE` as the model, on the wire API and
with the model name they were recorded with.
"""

from dataclasses import dataclass, field

import httpx2

from agent.chat import TurnObserver
from backend.settings import Settings
from replay.cassette import CassetteError, find, load
from replay.recorder import Recorder, RecordingTransport
from replay.transport import replay_transport


@dataclass
class Wiring:
    settings: Settings
    transport: httpx2.AsyncBaseTransport | None = None
    observers: list[TurnObserver] = field(default_factory=list)


def wire(settings: Settings, transport: httpx2.AsyncBaseTransport | None = None) -> Wiring:
    """`transport`: the way to the model to record (tests put a mock there; None is the network)."""
    wiring = Wiring(settings, transport)
    if settings.llm.provider == "replay":
        exchanges = [e for path in find(list(settings.llm.cassette)) for e in load(path).exchanges]
        if not exchanges:
            where = ", ".join(settings.llm.cassette) or "LLM_CASSETTE"
            raise CassetteError(f"no recorded model exchange in {where}")
        recorded = {"api": exchanges[0].api, "max_retries": 0}
        if isinstance(exchanges[0].body, dict) and exchanges[0].body.get("model"):
            recorded["model"] = exchanges[0].body["model"]
        wiring.settings = settings.model_copy(update={"llm": settings.llm.model_copy(update=recorded)})
        wiring.transport = replay_transport(exchanges, settings.llm.replay_mode)
    if settings.llm.record_dir:
        key = settings.openai.api_key.get_secret_value() if settings.openai.api_key else ""
        recorder = Recorder(settings.llm.record_dir, secrets=(key,))
        wiring.transport = RecordingTransport(recorder, wiring.transport)
        wiring.observers.append(recorder)
    return wiring
