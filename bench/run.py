"""`make bench`: the service against a fake OpenAI-compatible model on loopback, section by section.

Each section starts the servers it needs (`bench.servers`) in one throw-away database, prints a
markdown table with both sides of every ratio and its target, and its own elapsed time; the run
ends with the total. `--only NAME ...` runs some sections (`make bench BENCH_ARGS="--only memory"`).
"""

import argparse
import asyncio
import inspect
import os
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.concurrency import concurrency_section
from bench.context import Bench
from bench.history import history_section, preparation_section
from bench.memory import memory_section
from bench.overhead import overhead_section
from bench.rest import rest_section
from bench.servers import raise_fd_limit
from db import scratch
from db.engine import normalize_url
from db.migrate import upgrade

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Section:
    name: str  # what `--only` selects
    run: Callable[[Bench], Awaitable[list[str]]]


async def call(function: Callable[..., Any], *args: Any) -> list[str]:
    """A section's lines from a coroutine function, or from a plain one (run in a thread, so
    that it may start its own event loop)."""
    if inspect.iscoroutinefunction(function):
        lines: list[str] = await function(*args)
        return lines
    return await asyncio.to_thread(function, *args)


# In the order they run; a plain (not async) section function goes through `call`.
SECTIONS = [
    Section("rest", lambda b: call(rest_section, b.database_url, b.args.rest_seconds, b.args.rest_runs)),
    Section("overhead", overhead_section),
    Section("history", lambda b: history_section(b, b.args.history_turns)),
    Section("preparation", lambda _: preparation_section()),
    Section("concurrency", concurrency_section),
    Section("memory", memory_section),
]


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


async def machine(admin: AsyncEngine) -> str:
    cpu = cpu_name()
    async with admin.connect() as conn:
        postgres = (await conn.execute(text("SHOW server_version"))).scalar_one()
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, PostgreSQL {postgres}"


def cpu_times() -> list[int] | None:
    """The machine's CPU time so far by kind (/proc/stat, in clock ticks), where Linux says."""
    try:
        return [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None


def stolen_since(before: list[int] | None) -> str:
    """How much of the CPU time since `before` the hypervisor gave to other machines (steal, the
    8th field): on a shared host, the noise that moves a section's figures between runs."""
    after = cpu_times()
    if before is None or after is None or len(after) < 8:
        return ""
    spent = [a - b for a, b in zip(after, before, strict=False)]
    return f"; {100 * spent[7] / max(1, sum(spent[:8])):.1f}% of the CPU time stolen by the host"


async def run(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    raise_fd_limit()
    database = await scratch.create_database(ADMIN_URL, "todo_bench")
    database_url = database.render_as_string(hide_password=False)
    admin = create_async_engine(normalize_url(ADMIN_URL))
    logs = Path(tempfile.mkdtemp(prefix="todo-bench-"))
    try:
        await asyncio.to_thread(upgrade, database_url)
        print(f"# Benchmark — {await machine(admin)}\n", flush=True)
        bench = Bench(database_url, logs, args)
        for section in SECTIONS:
            if args.only and section.name not in args.only:
                continue
            section_started, cpu_before = time.perf_counter(), cpu_times()
            lines = await section.run(bench)
            print(
                "\n".join(lines),
                f"\n_{section.name}: {time.perf_counter() - section_started:.0f} s"
                f"{stolen_since(cpu_before)}_\n",
                flush=True,
            )
    finally:
        await admin.dispose()
        await scratch.drop_database(ADMIN_URL, database)
    print(f"Total: {time.perf_counter() - started:.0f} s; the servers' stderr is in {logs}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="+", choices=[s.name for s in SECTIONS], help="run these sections")
    parser.add_argument("--rest-seconds", type=float, default=5, help="REST: wrk's duration, each run a side")
    # Alternating runs: a burst of the shared machine's noise lands on both sides, not on one.
    parser.add_argument("--rest-runs", type=int, default=3, help="REST: runs on each side, alternating")
    parser.add_argument("--turns", type=int, default=100, help="turn overhead: turns on each side")
    parser.add_argument("--history-turns", type=int, default=20, help="history: turns of each kind")
    parser.add_argument("--chats", type=int, default=500, help="concurrency: chats at once")
    parser.add_argument("--streams", type=int, default=1000, help="memory: streams held open")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
