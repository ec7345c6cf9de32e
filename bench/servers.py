"""The processes a benchmark section starts: the fake model, the service, the naive comparator.

Each runs as its own child process, is killed when its `with` block ends, and writes its stderr
to a file in the run's log directory (printed at the end), where a section's errors can be read.
"""

import asyncio
import os
import resource
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from wire.server import free_port

ROOT = Path(__file__).resolve().parent.parent
JWT_SECRET = "b" * 48

# Limits the benchmark lifts: it is a few users sending hundreds of messages at once, from one
# address, on purpose. (Every RATE_* rate and cap; SERVER_MAX_CONNECTIONS is set per section.)
UNLIMITED = {
    "RATE_LOGIN_PER_ADDRESS": "1000000/minute",
    "RATE_LOGIN_PER_ACCOUNT": "1000000/minute",
    "RATE_REGISTER_PER_ADDRESS": "1000000/minute",
    "RATE_CHAT_PER_USER": "1000000/minute",
    "RATE_IMPORT_PER_USER": "1000000/minute",
    "RATE_RUNNING_TURNS_PER_USER": "1000000",
    "RATE_RUNNING_TURNS_TOTAL": "0",
}


@dataclass
class Server:
    url: str
    pid: int
    log: Path


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; children started afterwards inherit
    it. A thousand streams are a thousand sockets on each side (and as many to the fake model)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@asynccontextmanager
async def process(
    name: str, args: list[str], logs: Path, env: dict[str, str] | None = None
) -> AsyncIterator[Server]:
    port = free_port()
    log = logs / f"{name}-{port}.log"
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, *args, "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stderr=stderr,
        )
        try:
            yield Server(f"http://127.0.0.1:{port}", proc.pid, log)
        finally:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def wait_up(url: str) -> None:
    async with httpx2.AsyncClient() as client:
        for _ in range(600):  # a minute: startup on a loaded machine
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@asynccontextmanager
async def fake_model(logs: Path, call_delay: float, token_delay: float) -> AsyncIterator[Server]:
    args = ["-m", "bench.fake_openai", "--call-delay", str(call_delay), "--token-delay", str(token_delay)]
    async with process("model", args, logs) as server:
        await wait_up(f"{server.url}/stats")
        yield server


@asynccontextmanager
async def service(
    logs: Path, database_url: str, model_url: str, pool_size: int, **extra: str
) -> AsyncIterator[Server]:
    """The service as deployments start it (`python -m backend.serve`: the HTTP edge's limits,
    uvicorn's cap on connections), on `pool_size` connections and no overflow. The pool timeout
    is the default unless `extra` sets DB_POOL_TIMEOUT_S."""
    env = {
        "DATABASE_URL": database_url,
        "LLM_PROVIDER": "openai",
        "OPENAI_BASE_URL": f"{model_url}/v1",
        "OPENAI_API_KEY": "bench",
        "LLM_MODEL": "gpt-bench",
        "LLM_MAX_RETRIES": "0",
        "LLM_TIMEOUT_S": "120",
        "DB_POOL_SIZE": str(pool_size),
        "DB_MAX_OVERFLOW": "0",
        "JWT_SECRET": JWT_SECRET,
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "production",
        **UNLIMITED,
        **extra,
    }
    async with process("service", ["-m", "backend.serve"], logs, env) as server:
        await wait_up(f"{server.url}/health")
        yield server


@asynccontextmanager
async def naive_chat(logs: Path, database_url: str, model_url: str, pool_size: int) -> AsyncIterator[Server]:
    env = {
        "DATABASE_URL": database_url,
        "OPENAI_BASE_URL": f"{model_url}/v1",
        "OPENAI_API_KEY": "bench",
        "JWT_SECRET": JWT_SECRET,
        "DB_POOL_SIZE": str(pool_size),
    }
    async with process("naive", ["-m", "bench.naive_chat"], logs, env) as server:
        await wait_up(f"{server.url}/health")
        yield server


def rss_kib(pid: int) -> int:
    """The process's resident set (VmRSS), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
