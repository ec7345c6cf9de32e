"""Serving recorded responses to the real openai client (`LLM_PROVIDER=replay`).

In `strict` mode each request the SDK sends is compared with the one recorded at that point
(see `compare.request_difference`) and a divergence fails the turn with the first difference;
`sequential` mode only hands out the responses in order. Either way, asking for more responses
than were recorded is an error at once, never a wait.
"""

import json
from typing import Any, Literal

import httpx2

from agent.replay.cassette import Exchange
from agent.replay.compare import UUID, request_difference

ReplayMode = Literal["strict", "sequential"]


class ReplayError(Exception):
    code = "replay_error"


class ReplayMismatch(ReplayError):
    code = "replay_mismatch"


class CassetteExhausted(ReplayError):
    code = "replay_exhausted"


def replay_transport(exchanges: list[Exchange], mode: ReplayMode = "strict") -> httpx2.MockTransport:
    served = 0
    ids: dict[str, str] = {}  # recorded id -> the id the same object has in this run

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal served
        if served >= len(exchanges):
            raise CassetteExhausted(
                f"the cassette has {len(exchanges)} recorded responses and all were used; "
                f"request {served + 1} has nothing to answer it"
            )
        recorded = exchanges[served]
        served += 1
        actual = json.loads(request.content or b"null")
        learn_ids(recorded.body, actual, ids)
        if mode == "strict":
            where = f"request {served} (turn {recorded.turn})"
            now = "chat_completions" if request.url.path.endswith("/chat/completions") else "responses"
            if now != recorded.api:
                raise ReplayMismatch(f"{where}: sent to the {now} API, recorded on {recorded.api}")
            difference = request_difference(recorded.body, actual)
            if difference:
                raise ReplayMismatch(f"{where} differs from the recording: {difference}")
        # The recorded model refers to objects by the ids they had when it was recorded.
        body = recorded.response
        for old, new in ids.items():
            body = body.replace(old, new)
        return httpx2.Response(
            recorded.status, headers=recorded.headers, content=body.encode(), request=request
        )

    return httpx2.MockTransport(handler)


def learn_ids(recorded: Any, actual: Any, ids: dict[str, str]) -> None:
    """Pair the ids found at the same places of the recorded and the actual request."""
    recorded, actual = _decoded(recorded), _decoded(actual)
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key in recorded.keys() & actual.keys():
            learn_ids(recorded[key], actual[key], ids)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for before, after in zip(recorded, actual, strict=False):
            learn_ids(before, after, ids)
    elif (
        isinstance(recorded, str)
        and isinstance(actual, str)
        and recorded != actual
        and UUID.match(recorded)
        and UUID.match(actual)
    ):
        ids.setdefault(recorded, actual)


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
