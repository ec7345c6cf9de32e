"""Replaying a transcript: a model that makes each turn's recorded tool calls, then its reply.

A transcript has no model traffic to serve, so this stands in for the model; ids in the
recorded arguments are rewritten to the ids the same objects have in this run, learned from the
tool outputs it is shown (as the cassette transport does).
"""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agents import Model, ModelResponse, Usage
from agents.testing import ScriptedModel, assistant_message, function_call

from agent.transcripts import Transcript
from replay.cassette import Cassette, CassetteError, RecordedTurn, load
from replay.compare import decoded
from replay.transport import learn_ids, swap_ids


class TranscriptModel(Model):
    model = "transcript"

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript
        self.turn = 0  # set by the runner before each turn
        self.ids: dict[str, str] = {}

    def _step(self, input: Any) -> Any:
        items = input if isinstance(input, list) else []
        last_user = max((i for i, item in enumerate(items) if item.get("role") == "user"), default=-1)
        outputs = [i for i in items[last_user + 1 :] if i.get("type") == "function_call_output"]
        turn = self.transcript.turns[self.turn]
        for output, call in zip(outputs, turn.tool_calls, strict=False):  # what the ids are now
            recorded = call.result if call.status == "ok" else None
            learn_ids(recorded, as_audited(recorded, output.get("output")), self.ids)
        if len(outputs) < len(turn.tool_calls):
            call = turn.tool_calls[len(outputs)]
            arguments = swap_ids(json.dumps(call.arguments), self.ids)
            return function_call(call.name, arguments, call_id=f"call_t{self.turn + 1}_{len(outputs) + 1}")
        return assistant_message(turn.reply or "", item_id=f"msg_t{self.turn + 1}")

    async def get_response(self, system_instructions: Any, input: Any, *_: Any, **__: Any) -> ModelResponse:
        return ModelResponse(output=[self._step(input)], usage=Usage(requests=1), response_id=None)

    async def stream_response(
        self,
        system_instructions: Any,
        input: Any,
        *args: Any,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        scripted = ScriptedModel([[self._step(input)]])
        async for event in scripted.stream_response(system_instructions, input, *args, **kwargs):
            yield event


def as_audited(recorded: Any, output: Any) -> Any:
    """A tool's output in the shape its audit row records it: a page is kept there as its ids and
    total (`tools.operations.audited_result`), so its ids pair with the page's items by place."""
    page = decoded(output)
    if isinstance(recorded, dict) and "ids" in recorded and isinstance(page, dict) and "items" in page:
        return {"ids": [item.get("id") for item in page["items"]], "total": page.get("total")}
    return output


def as_cassette(transcript: Transcript, name: str) -> Cassette:
    """The transcript's turns in the runner's terms (no model traffic, no task lists)."""
    cassette = Cassette(Path(f"{name}.jsonl"))
    for seq, turn in enumerate(transcript.turns, 1):
        cassette.turns.append(
            RecordedTurn(
                seq=seq,
                message=turn.user_message,
                timezone="UTC",
                now=turn.created_at or datetime.now(UTC),
                status=turn.status.value,
                error=turn.error,
                reply=turn.reply,
                tool_calls=[
                    {"name": c.name, "arguments": c.arguments, "status": c.status} for c in turn.tool_calls
                ],
                tasks=None,
            )
        )
    return cassette


def load_source(path: Path) -> tuple[Cassette, "TranscriptModel | None"]:
    """A cassette (`*.jsonl`), or a transcript (`*.json`) with the model that replays it."""
    if path.suffix == ".json":
        try:
            transcript = Transcript.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CassetteError(f"{path}: not a transcript ({exc})") from exc
        return as_cassette(transcript, path.stem), TranscriptModel(transcript)
    return load(path), None
