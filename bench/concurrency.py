"""Concurrency: hundreds of streaming chats at once on five database connections and a slow
model, through the service and through the naive comparator (`bench.naive_chat`), in one run.

Both get the same burst (one new conversation per chat, spread over five users), the same fake
model (1 s before each call's first byte, two calls a turn), `DB_POOL_SIZE=5` without overflow
and the default pool timeout. A chat counts as done when its stream ends with `done`.
"""

import re
from collections import Counter
from pathlib import Path

import httpx2

from bench.client import Turn, burst, failures, pct, register
from bench.context import Bench
from bench.servers import Server, fake_model, naive_chat, service

POOL_SIZE = 5
USERS = 5
THROUGHPUT_TARGET = 1.3
# A log record of the service (`time LEVEL logger [request id] message`) or an exception's last
# traceback line; timestamps and ids are cut so that the same failure counts once.
_RECORD = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+) \[[^\]]*\] (.*)$")
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Exceeded))(?::.*)?$")


async def run_burst(server: Server, count: int) -> tuple[list[Turn], float]:
    async with httpx2.AsyncClient(base_url=server.url, timeout=60) as client:
        tokens = [await register(client) for _ in range(USERS)]
    return await burst(server.url, tokens, count)


def log_summary(path: Path, top: int = 4) -> str:
    """The most frequent warnings, errors and exceptions in a server's stderr."""
    counts: Counter[str] = Counter()
    for line in path.read_text(errors="replace").splitlines():
        if record := _RECORD.match(line):
            counts[f"{record[1]} {record[2]}: {record[3][:120]}"] += 1
        elif exception := _EXCEPTION.match(line.strip()):
            counts[exception[0][:160]] += 1
    shown = "; ".join(f"{n}x `{text}`" for text, n in counts.most_common(top))
    return shown or "nothing logged"


def row(name: str, count: int, turns: list[Turn], wall: float) -> str:
    done = [t.total for t in turns if t.ok]
    return (
        f"| {name} | {count} | {len(done)} | {count - len(done)} | {wall:.1f} | {len(done) / wall:.1f} | "
        f"{pct(done, 0.5):.2f} | {pct(done, 0.95):.2f} |"
    )


async def concurrency_section(bench: Bench) -> list[str]:
    count = bench.args.chats
    results: dict[str, tuple[list[Turn], float, Path]] = {}
    async with fake_model(bench.logs, 1.0, 0.0) as model:
        async with service(bench.logs, bench.database_url, model.url, POOL_SIZE) as svc:
            results["service"] = (*await run_burst(svc, count), svc.log)
        async with naive_chat(bench.logs, bench.database_url, model.url, POOL_SIZE) as naive:
            results["naive"] = (*await run_burst(naive, count), naive.log)
    lines = [
        f"## Concurrency: {count} streaming chats at once (DB_POOL_SIZE={POOL_SIZE}, no overflow, "
        "default pool timeout; model 1 s a call, 2 calls a turn)",
        "",
        "| server | chats | done | errors | wall s | turns/s (done) | p50 turn s | p95 turn s |",
        "|---|---|---|---|---|---|---|---|",
        *(row(name, count, turns, wall) for name, (turns, wall, _) in results.items()),
        "",
    ]
    rate = {name: sum(t.ok for t in turns) / wall for name, (turns, wall, _) in results.items()}
    service_errors = sum(not t.ok for t in results["service"][0])
    ratio = rate["service"] / rate["naive"] if rate["naive"] else float("inf")
    lines.append(
        f"Service / naive turns/s: {rate['service']:.1f} / {rate['naive']:.1f} = **{ratio:.2f}x** "
        f"(target ≥ {THROUGHPUT_TARGET}x); service errors: **{service_errors}** "
        "(target 0)"
    )
    for name, (turns, _, log) in results.items():
        lines.append(f"- {name} failures: {failures(turns)}; its stderr ({log.name}): {log_summary(log)}")
    return lines
