"""nginx from deploy/nginx/nginx.conf, run on loopback in front of given upstreams."""

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.nginx.render import render
from wire.server import free_port


def nginx_binary() -> str:
    """Debian's nginx (in /usr/sbin, which a non-root PATH may lack): a skip on a laptop without
    it, a failure in CI, whose .ci/run installs it."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        message = "nginx is not installed (apt-get install nginx)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass(frozen=True)
class Edge:
    url: str
    prefix: Path

    def access_log(self) -> str:
        return (self.prefix / "access.log").read_text()

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""


def write_config(upstreams: Sequence[str], listen: str, prefix: Path) -> Path:
    config = prefix / "nginx.conf"
    config.write_text(render(upstreams, listen, prefix))
    return config


async def _wait_listening(port: int, proc: asyncio.subprocess.Process, edge: Edge) -> None:
    for _ in range(100):
        if proc.returncode is not None:
            raise AssertionError(f"nginx exited with {proc.returncode}:\n{edge.error_log()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nginx did not listen on {port}:\n{edge.error_log()}")


def _new_prefix() -> Path:
    # Readable by nginx's workers, which run as `nobody` when the tests run as root.
    prefix = Path(tempfile.mkdtemp(prefix="todo-nginx-"))
    prefix.chmod(0o755)
    return prefix


@asynccontextmanager
async def running_nginx(upstreams: Sequence[str]) -> AsyncIterator[Edge]:
    """nginx with the shipped rules in front of `upstreams`; yields its URL and files."""
    binary = nginx_binary()
    prefix = _new_prefix()
    port = free_port()
    edge = Edge(f"http://127.0.0.1:{port}", prefix)
    config = write_config(upstreams, f"127.0.0.1:{port}", prefix)
    proc = await asyncio.create_subprocess_exec(
        binary, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log"), "-g", "daemon off;"
    )
    try:
        await _wait_listening(port, proc, edge)
        yield edge
    finally:
        if proc.returncode is None:
            proc.terminate()  # fast shutdown: the workers go with the master
            await asyncio.wait_for(proc.wait(), 10)
        shutil.rmtree(prefix, ignore_errors=True)
