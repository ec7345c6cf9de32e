"""`GET /api/tasks` under load: the service beside the naive comparator (`bench.naive_rest`).

Both serve the same database, one uvicorn worker each, and answer the same bearer token (one of
ours: the comparator verifies it with the same secret). A user with 20 tasks is seeded through
the service's own API; then wrk (`-t2 -c32 --latency`) runs against each in turn, after a short
warm-up of each, and the requests per second and p99 latency of both sides are compared.

    python -m bench.rest --duration 5 --runs 3     # a throw-away database on BENCH_DATABASE_URL

`rest_section` is synchronous (it only drives processes); from async code call it through
`asyncio.to_thread`.
"""

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx2

from db import scratch
from db.migrate import upgrade
from wire.server import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SECRET = "r" * 48
TASKS = 20
WARM_UP_S = 2.0
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors


@dataclass(frozen=True)
class Comparison:
    ours: list[WrkResult]
    naive: list[WrkResult]

    @staticmethod
    def _median(results: list[WrkResult]) -> tuple[float, float]:
        return statistics.median(r.requests_per_s for r in results), statistics.median(
            r.p99_ms for r in results
        )

    def lines(self) -> list[str]:
        (ours_rps, ours_p99), (naive_rps, naive_p99) = self._median(self.ours), self._median(self.naive)
        runs = len(self.ours)
        errors = sum(r.errors for r in self.ours + self.naive)
        return [
            f"## REST: `GET /api/tasks`, {TASKS} tasks, one uvicorn worker, `wrk -t2 -c32` "
            f"({'median of ' + str(runs) + ' runs' if runs > 1 else 'one run'})",
            "",
            "| server | req/s | p99 ms |",
            "|---|---|---|",
            f"| service | {ours_rps:.0f} | {ours_p99:.1f} |",
            f"| naive FastAPI + SQLModel | {naive_rps:.0f} | {naive_p99:.1f} |",
            "",
            f"Service / naive req/s: **{ours_rps / naive_rps:.2f}x** ({ours_rps:.0f} / {naive_rps:.0f}; "
            f"target ≥ 3x); p99 service / naive: **{ours_p99 / naive_p99:.2f}x** ({ours_p99:.1f} / "
            f"{naive_p99:.1f} ms; target ≤ 0.33x); errors: {errors}",
            "",
            *(
                [
                    "Each run, service / naive: "
                    + "; ".join(
                        f"{o.requests_per_s:.0f} / {n.requests_per_s:.0f} req/s, "
                        f"{o.p99_ms:.0f} / {n.p99_ms:.0f} ms"
                        for o, n in zip(self.ours, self.naive, strict=True)
                    ),
                    "",
                ]
                if runs > 1
                else []
            ),
        ]


def rest_section(database_url: str, duration_s: float, runs: int = 1) -> list[str]:
    """The REST comparison as markdown lines, on an (empty or not) migrated database."""
    return measure(database_url, duration_s, runs=runs).lines()


def measure(database_url: str, duration_s: float, *, runs: int = 1) -> Comparison:
    env = {
        "DATABASE_URL": database_url,
        "JWT_SECRET": SECRET,
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "ERROR",
        "RATE_REGISTER_PER_ADDRESS": "1000/minute",
    }
    ours_port, naive_port = free_port(), free_port()
    with (
        process([sys.executable, "-m", "backend.serve", "--port", str(ours_port)], env),
        process([sys.executable, "-m", "bench.naive_rest", "--port", str(naive_port)], env),
    ):
        ours, naive = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{naive_port}"
        wait_up(f"{ours}/health")
        wait_up(f"{naive}/openapi.json")
        token = seed(ours)
        for base in (ours, naive):
            check_same_page(ours, base, token)
            wrk(f"{base}/api/tasks", token, WARM_UP_S)
        results: dict[str, list[WrkResult]] = {ours: [], naive: []}
        for _ in range(runs):
            for base in (ours, naive):
                results[base].append(wrk(f"{base}/api/tasks", token, duration_s))
    return Comparison(ours=results[ours], naive=results[naive])


@contextmanager
def process(args: list[str], env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env})  # noqa: S603 (our own argv)
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx2.get(url).status_code < 500:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def seed(base: str) -> str:
    """A new user with TASKS tasks (some with details and due dates, some without); its token."""
    with httpx2.Client(base_url=base) as client:
        account = {"email": f"rest-bench-{time.time_ns()}@example.com", "password": "rest-benchmark-pw"}
        token: str = client.post("/api/auth/register", json=account).raise_for_status().json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for n in range(TASKS):
            task: dict[str, object] = {
                "title": f"Benchmark task {n}",
                "priority": ("low", "medium", "high")[n % 3],
            }
            if n % 2:
                task |= {
                    "description": f"Details of task {n}",
                    "due_date": str(date(2030, 1, 1) + timedelta(n)),
                }
            client.post("/api/tasks", json=task, headers=headers).raise_for_status()
    return token


def check_same_page(ours: str, base: str, token: str) -> None:
    """Both servers must answer the same page: the comparison is of the same work."""
    headers = {"Authorization": f"Bearer {token}"}
    expected = httpx2.get(f"{ours}/api/tasks", headers=headers).raise_for_status().json()
    answer = httpx2.get(f"{base}/api/tasks", headers=headers).raise_for_status().json()
    if answer != expected or len(expected["items"]) != TASKS:
        raise RuntimeError(f"{base} answers another page than the service")


def wrk(url: str, token: str, duration_s: float) -> WrkResult:
    argv = [
        "wrk",
        "-t2",
        "-c32",
        f"-d{duration_s:g}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return parse_wrk(out)


def parse_wrk(out: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if rps is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in sockets.groups()) if sockets else 0
    return WrkResult(float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)], errors)


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new, migrated, uniquely named database on BENCH_DATABASE_URL's server, dropped afterwards."""
    database = asyncio.run(scratch.create_database(ADMIN_URL, "todo_rest_bench"))
    try:
        url = database.render_as_string(hide_password=False)
        upgrade(url)
        yield url
    finally:
        asyncio.run(scratch.drop_database(ADMIN_URL, database))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of wrk per run and server")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with scratch_database() as url:
        print("\n".join(rest_section(url, args.duration, runs=args.runs)))


if __name__ == "__main__":
    main()
