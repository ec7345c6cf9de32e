"""The compose files, read as compose would (Docker does not run here): structure and agreement."""

import ipaddress
import re
from pathlib import Path
from typing import Any

import yaml

from backend.settings import Settings
from tests.deploy.container_image import serve_command

ROOT = Path(__file__).parents[2]
SINGLE = ROOT / "docker-compose.yml"
SCALED = ROOT / "deploy" / "compose.scale.yml"
API_PORT = 8000

Service = dict[str, Any]


def services(path: Path) -> dict[str, Service]:
    return yaml.safe_load(path.read_text())["services"]  # merge keys (<<: *api) resolved


def shutdown_grace_s() -> float:
    """SHUTDOWN_GRACE_S's default; the documented 20 until the setting lands in Settings."""
    field = Settings.model_fields.get("shutdown_grace_s")
    return field.default if field else 20


def duration_s(value: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    assert parts and "".join(n + u for n, u in parts) == value, value
    return sum(float(n) * units[u] for n, u in parts)


def conditions(service: Service) -> dict[str, str]:
    return {name: dependency["condition"] for name, dependency in service["depends_on"].items()}


def nginx_directives(name: str) -> list[str]:
    config = (SCALED.parent / "nginx" / "nginx.conf").read_text()
    return re.findall(rf"^\s*{name} ([^;{{\n]*);", config, flags=re.MULTILINE)


def test_single_instance_setup_still_serves_on_8000() -> None:
    single = services(SINGLE)
    assert set(single) == {"db", "api"}
    api = single["api"]
    assert api["ports"] == [f"{API_PORT}:{API_PORT}"]
    assert conditions(api) == {"db": "service_healthy"}
    assert "command" not in api, "alone, the API migrates on start as the image does"
    assert duration_s(api["stop_grace_period"]) > shutdown_grace_s()
    assert "healthcheck" in single["db"]


def test_scaled_setup_migrates_once_before_any_instance_starts() -> None:
    scaled = services(SCALED)
    instances = {name: s for name, s in scaled.items() if re.fullmatch(r"api-\d+", name)}
    assert len(instances) >= 2 and set(scaled) == {"db", "migrate", "nginx", *instances}
    assert scaled["migrate"]["command"] == ["python", "-m", "backend.migrate"]
    assert conditions(scaled["migrate"]) == {"db": "service_healthy"}
    assert scaled["migrate"]["restart"] == "no"
    for name, api in instances.items():
        assert conditions(api) == {"db": "service_healthy", "migrate": "service_completed_successfully"}, name
        assert api["command"] == serve_command(), "the image's command minus its migration step"
        assert "/ready" in " ".join(api["healthcheck"]["test"]), name
        assert "ports" not in api, f"{name} is reached through nginx only"
        assert duration_s(api["stop_grace_period"]) > float(api["environment"]["SHUTDOWN_GRACE_S"])
        assert api["environment"]["JWT_SECRET"].startswith("${JWT_SECRET:?"), "no default secret"
        assert api["image"] == scaled["migrate"]["image"], "the instances run what was migrated for"


def test_nginx_fronts_every_instance_and_alone_may_forward_client_addresses() -> None:
    scaled = services(SCALED)
    nginx = scaled["nginx"]
    instances = sorted(name for name in scaled if name.startswith("api-"))
    assert conditions(nginx) == dict.fromkeys(instances, "service_healthy")
    upstreams = [server.split()[0] for server in nginx_directives("server")]
    assert upstreams == [f"{name}:{API_PORT}" for name in instances]
    (mount,) = nginx["volumes"]
    source, target, mode = mount.split(":")
    assert (SCALED.parent / source).resolve() == (SCALED.parent / "nginx" / "nginx.conf").resolve()
    assert (target, mode) == ("/etc/nginx/nginx.conf", "ro")
    (listen,) = nginx_directives("listen")
    assert nginx["ports"] == [f"{API_PORT}:{listen}"]

    subnet = ipaddress.ip_network(
        yaml.safe_load(SCALED.read_text())["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    )
    nginx_address = ipaddress.ip_address(nginx["networks"]["backend"]["ipv4_address"])
    assert nginx_address in subnet
    for name in instances:
        assert ipaddress.ip_address(scaled[name]["networks"]["backend"]["ipv4_address"]) in subnet
        assert scaled[name]["environment"]["FORWARDED_ALLOW_IPS"] == str(nginx_address), name


def test_every_awaited_service_has_a_healthcheck() -> None:
    """`service_healthy` on a service without a healthcheck never becomes true: nothing starts."""
    for path in (SINGLE, SCALED):
        every = services(path)
        for name, service in every.items():
            for dependency, condition in conditions(service).items() if "depends_on" in service else ():
                if condition == "service_healthy":
                    check = every[dependency].get("healthcheck", {})
                    assert check.get("test") and not check.get("disable"), (
                        f"{path.name}: {name} → {dependency}"
                    )
