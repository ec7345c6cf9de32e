"""The README's curl examples, run as written against a live server started like `make run` does."""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from backend.openapi import chunk_table, event_table
from wire.server import free_port

ROOT = Path(__file__).resolve().parents[2]


def _curl_block() -> str:
    """Every block marked as curl examples, in order: later ones use what earlier ones set."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"<!-- curl-examples -->\s*```bash\n(.*?)```", readme, re.S)
    assert len(blocks) == 2, "README lost its curl examples (the API's and MCP's)"
    return "\n".join(blocks)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'readme.db'}",
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("JWT_SECRET", None)
    subprocess.run([sys.executable, "-m", "backend.migrate"], cwd=ROOT, env=env, check=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.main:app", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_curl_examples_work_as_written(server: int) -> None:
    if shutil.which("curl") is None:  # like PostgreSQL: a skip on a laptop, a failure in CI
        message = "curl is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    script = "set -euo pipefail\n" + _curl_block().replace("localhost:8000", f"localhost:{server}")
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert '"access_token"' in out
    assert "HTTP/1.1 201 Created" in out and "location: /api/tasks/" in out
    assert '"completed":true' in out and '"due_date":null' in out
    assert "204\n" in out, "DELETE answered 204"
    assert '"tool":"delete_task"' in out
    assert "event: conversation" in out and "event: done" in out, "the streamed chat"
    assert '"name":"create_task"' in out and "Call the dentist" in out
    assert '"content":"Updated \\"Call the dentist\\": marked as done."' in out, "the JSON-mode chat"
    assert '"status":"completed"' in out, "the conversation's turns"
    assert '"inputSchema"' in out and '"name":"delete_task"' in out, "MCP's tools/list"
    assert '"isError":false' in out and '"structuredContent":{"items":[' in out, "MCP's tools/call"
    assert '"error":{' not in out and "event: error" not in out, out


def test_the_event_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- chat-events -->\n(.*?)\n<!-- /chat-events -->", readme, re.S)
    assert match, "README lost its table of chat events"
    assert match.group(1) == event_table()


def test_the_ui_chunk_table_is_the_generated_one() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- ui-chunks -->\n(.*?)\n<!-- /ui-chunks -->", readme, re.S)
    assert match, "README lost its table of AI SDK stream chunks"
    assert match.group(1) == chunk_table()
