"""deploy/nginx/nginx.conf: the renderer, nginx's own check, and the values the app depends on."""

import asyncio
import re
from pathlib import Path

import pytest

from agent.config import ChatSettings
from backend.edge import ServerSettings
from backend.settings import Settings
from deploy.nginx import render as renderer
from deploy.nginx.render import RenderError, render
from tests.deploy.app_routes import streaming_paths
from tests.deploy.container_image import serve_command
from tests.deploy.nginx_process import nginx_binary, write_config

SHIPPED = renderer.SOURCE.read_text()
UPSTREAMS = ["127.0.0.1:18001", "127.0.0.1:18002"]
# The lines the renderer may change; every other line must come out as shipped.
VARIABLE = re.compile(r"^\s*(server |listen |pid |error_log |access_log /|\w+_temp_path )")


def directive(name: str, config: str = SHIPPED) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;{{\n]*);", config, flags=re.MULTILINE)


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value).groups()
    return int(number) * (60 if unit == "m" else 1)


def test_render_changes_only_addresses_and_paths(tmp_path: Path) -> None:
    rendered = render(UPSTREAMS, "127.0.0.1:18080", tmp_path)

    def rules(config: str) -> list[str]:
        return [line for line in config.splitlines() if not VARIABLE.match(line)]

    assert rules(rendered) == rules(SHIPPED)
    assert [s.split()[0] for s in directive("server", rendered)] == UPSTREAMS
    assert directive("listen", rendered) == ["127.0.0.1:18080"]
    written = (
        directive("pid", rendered) + directive("error_log", rendered) + directive("\\w+_temp_path", rendered)
    )
    assert written and all(value.startswith(f"{tmp_path}/") for value in written), written
    assert directive("access_log", rendered) == [f"{tmp_path}/access.log api", "off"]


def test_render_refuses_a_config_where_it_cannot_place_the_addresses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "nginx.conf"
    moved.write_text(SHIPPED.replace("listen 8080;", "listen 8080;\n        listen 8443;"))
    monkeypatch.setattr(renderer, "SOURCE", moved)
    with pytest.raises(RenderError, match="listen"):
        render(UPSTREAMS, "127.0.0.1:18080", tmp_path)
    moved.write_text(re.sub(r"upstream api \{.*?\n    \}", "", SHIPPED, flags=re.DOTALL))
    with pytest.raises(RenderError, match="upstream api"):
        render(UPSTREAMS, "127.0.0.1:18080", tmp_path)


async def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    binary = nginx_binary()
    config = write_config(UPSTREAMS, "127.0.0.1:18080", tmp_path)
    proc = await asyncio.create_subprocess_exec(
        binary, "-t", "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await proc.communicate()
    assert proc.returncode == 0, output.decode()


def test_body_limit_is_the_apps() -> None:
    assert directive("client_max_body_size") == ["5m"]
    assert Settings.model_fields["max_body_bytes"].default == 5 * 1024 * 1024


def test_streams_outlive_the_turn_timeout() -> None:
    """A `stream: false` chat sends nothing until its turn ends; nginx must wait longer."""
    turn_timeout = ChatSettings.model_fields["turn_timeout_s"].default
    assert seconds(directive("proxy_read_timeout")[0]) > turn_timeout


def test_idle_upstream_connections_close_before_the_instances_close_them() -> None:
    """Otherwise nginx may send a POST on a connection the instance is closing: a 502."""
    command = serve_command()
    assert command[:3] == ["python", "-m", "backend.serve"], command
    instance_keepalive = ServerSettings.model_fields["keepalive_s"].default  # SERVER_KEEPALIVE_S
    upstream = re.search(r"upstream api \{(.*?)\n    \}", SHIPPED, flags=re.DOTALL)
    assert upstream
    assert seconds(directive("keepalive_timeout", upstream.group(1))[0]) < instance_keepalive


def test_slow_and_oversized_requests_are_bounded() -> None:
    assert seconds(directive("client_header_timeout")[0]) <= 10
    assert seconds(directive("client_body_timeout")[0]) <= 60
    assert directive("large_client_header_buffers") == ["4 16k"]
    # Connections are counted per client address, in a zone the server actually applies.
    (zone,) = directive("limit_conn_zone")
    key, name = re.fullmatch(r"(\S+) zone=(\w+):\S+", zone).groups()
    assert key == "$binary_remote_addr"
    assert [limit.split()[0] for limit in directive("limit_conn")] == [name]


def test_every_event_stream_of_the_app_is_unbuffered() -> None:
    """A stream route added to the app without widening the nginx rule fails here."""
    rule = next(
        m
        for m in re.finditer(r"location ~ (\S+) \{([^}]*)\}", SHIPPED)
        if "proxy_buffering off;" in m.group(2)
    )
    paths = streaming_paths()
    assert "/api/chat" in paths
    for path in paths:
        sample = re.sub(r"\{[^}]+\}", "0b9f7c1e-5d1a-4f7e-9d2a-3c4b5a6d7e8f", path)
        assert re.fullmatch(rule.group(1).removeprefix("^").removesuffix("$"), sample), path
