"""schemathesis over the OpenAPI schema, against the API as served, as a signed-in user: no
response is a 5xx, and none breaks the schema (status codes, content types, bodies)."""

import asyncio
import itertools
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from db.migrate import upgrade
from tests.conftest import JWT_SECRET, create_database, drop_database, url_string
from wire.server import free_port

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 20  # per operation and mode: ~1,000 requests, well under a minute
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)  # valid requests, and invalid ones
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
async def fresh_database() -> AsyncIterator[str]:
    url = await create_database("todo_fuzz")
    try:
        await asyncio.to_thread(upgrade, url_string(url))
        yield url_string(url)
    finally:
        await drop_database(url)


@pytest.fixture(scope="module")
def live(fresh_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API under `python -m backend.serve`, with the offline model, limits out of reach (the
    fuzzer would otherwise mostly meet 429s) and a database of its own."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": fresh_database,
        "DB_POOL_SIZE": "5",  # opened at start, and plenty for one client
        "ENVIRONMENT": "test",
        "JWT_SECRET": JWT_SECRET,
        "LLM_PROVIDER": "offline",
        "LOG_LEVEL": "ERROR",
        "RATE_LOGIN_PER_ADDRESS": "100000/s",
        "RATE_LOGIN_PER_ACCOUNT": "100000/s",
        "RATE_REGISTER_PER_ADDRESS": "100000/s",
        "RATE_CHAT_PER_USER": "100000/s",
        "RATE_IMPORT_PER_USER": "100000/s",
    }
    command = [sys.executable, "-m", "backend.serve", "--port", str(port)]
    log = tmp_path_factory.mktemp("fuzz") / "server.log"  # a file: a pipe nobody reads fills and blocks
    with log.open("wb") as sink:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{base}/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # An unhandled error is logged with its traceback even when it is answered as a 500.
    errors = log.read_text(errors="replace")
    assert "Traceback" not in errors, errors[-3000:]


@pytest.fixture(scope="module")
def token(live: str) -> str:
    email = f"fuzz-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": "a fuzzing passphrase"}
    response = httpx2.post(f"{live}/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


def fuzz(
    operation: schemathesis.APIOperation, mode: GenerationMode, send: Callable[[schemathesis.Case], None]
) -> None:
    """Send `MAX_EXAMPLES` generated requests of `operation` in `mode`, checking each answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        phases=[Phase.generate],  # no shrinking: the first failing request is reported as is
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        send(case)

    check()


def test_the_api_keeps_its_schema(live: str, token: str) -> None:
    """Every operation, a bounded number of generated requests each (valid and invalid ones).
    Driven per operation (`as_strategy`): schemathesis's pytest loader does not run on pytest 9.2."""
    schema = schemathesis.openapi.from_url(f"{live}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    failures: dict[str, str] = {}
    calls: Counter[str] = Counter()

    def send(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=live, headers=headers, checks=CHECKS, timeout=30)
        calls[case.operation.label] += 1

    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in itertools.product(operations, MODES):
        try:
            fuzz(operation, mode, send)
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE  # an operation without inputs has no invalid request
        except (Exception, FailureGroup) as failure:  # collected: one report for all operations
            failures[f"{operation.label} ({mode.value})"] = str(failure)[:2000]
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
    assert set(calls) == {operation.label for operation in operations}, "every operation was called"
