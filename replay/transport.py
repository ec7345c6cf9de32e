"""Serving recorded responses to the real openai client (`LLM_PROVIDER=replay`).

In `strict` mode each request the SDK sends is compared with the one recorded at that point
(see `compare.request_difference`) and a divergence fails the turn with the first difference;
`sequential` mode only hands out the responses in order. Either way, asking for more responses
than were recorded is an error at once, never a wait.

The recorded model refers to objects (tasks) by the ids they had when it was recorded; this run
created them with other ids. The ids are paired as the requests come in (the same place in the
recorded and the actual request) and rewritten in each response, on its reassembled content.
"""

import json
from typing import Any, Literal

import httpx2

from agent.context import current_turn
from agent.failures import CodedError, TurnErrorCode
from replay.cassette import Exchange
from replay.compare import UUID, decoded, request_difference
from replay.streams import rewrite

ReplayMode = Literal["strict", "sequential"]


class ReplayError(CodedError):
    code = TurnErrorCode.replay_error


class ReplayMismatch(ReplayError):
    code = TurnErrorCode.replay_mismatch


class CassetteExhausted(ReplayError):
    code = TurnErrorCode.replay_exhausted


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
            # Dates count from each side's "today": a server replaying on another day still matches.
            turn = current_turn.get()
            today = turn.now.date() if turn is not None else recorded.today
            difference = request_difference(recorded.body, actual, recorded.today, today)
            if difference:
                raise ReplayMismatch(f"{where} differs from the recording: {difference}")
        body = rewrite(
            recorded.response, recorded.headers.get("content-type", ""), lambda s: swap_ids(s, ids)
        )
        return httpx2.Response(
            recorded.status, headers=recorded.headers, content=body.encode(), request=request
        )

    return httpx2.MockTransport(handler)


def learn_ids(recorded: Any, actual: Any, ids: dict[str, str]) -> None:
    """Pair the ids found at the same places of the recorded and the actual request."""
    recorded, actual = decoded(recorded), decoded(actual)
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


def swap_ids(text: str, ids: dict[str, str]) -> str:
    """`text` with each recorded id replaced by the id the same object has in this run."""
    for old, new in ids.items():
        text = text.replace(old, new)
    return text
