"""The offline model served over the OpenAI wire protocols: `python -m replay.offline_server`.

POST /v1/responses and /v1/chat/completions, streamed or not, answered by the rule-based offline
model and streamed the way real providers stream: text and tool-call arguments in small, uneven
fragments. With it, anything that speaks to an OpenAI-compatible server (this service with
OPENAI_BASE_URL, its recorder, other clients) can be tried with no network and no real model;
the conversation library in tests/conversations was recorded against it.
"""

import argparse
import re
from datetime import date

from starlette.applications import Starlette

from agent.offline.model import decide
from wire.reply import Reply
from wire.server import ModelRequest, create_app

_TODAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


async def offline_brain(request: ModelRequest) -> Reply:
    """Like an LLM, a server-side model learns the user's date from the instructions it is sent
    (the first date in them); the in-process offline model is told it instead."""
    found = _TODAY.search(request.instructions or "")
    today = date.fromisoformat(found.group(1)) if found else date.today()
    return decide(request.items, today, request.instructions)


def offline_server(*, first_byte_delay: float = 0.0, fragment_delay: float = 0.0) -> Starlette:
    return create_app(offline_brain, first_byte_delay=first_byte_delay, fragment_delay=fragment_delay)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    uvicorn.run(offline_server(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
