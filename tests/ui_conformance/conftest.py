"""The Vercel AI SDK's client code, in Node: `conform(jobs)` runs `conform.mjs` over a batch of
streams (see there) and returns what the library read. Node and the pinned packages
(`npm ci` here) are needed; without them these tests skip, except under CI, where they fail."""

import asyncio
import json
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
LIBRARIES = ("ai5", "ai7")
Conform = Callable[[list[dict[str, Any]]], Awaitable[list[dict[str, Any]]]]


def _node() -> str:
    node = shutil.which("node")
    missing = [lib for lib in LIBRARIES if not (HERE / "node_modules" / lib / "package.json").is_file()]
    if node is None or missing:
        message = f"needs node and `npm ci --prefix {HERE.relative_to(HERE.parents[1])}`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return node


@pytest.fixture
def conform() -> Conform:
    node = _node()

    async def run(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # A subprocess of this event loop: the server under test keeps serving while Node reads.
        process = await asyncio.create_subprocess_exec(
            node,
            str(HERE / "conform.mjs"),
            cwd=HERE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(json.dumps(jobs).encode()), 60)
        assert process.returncode == 0, err.decode()
        results: list[dict[str, Any]] = json.loads(out)
        assert len(results) == len(jobs)
        return results

    return run
