"""Dependencies point one way: backend -> tools -> db. The domain knows nothing of HTTP or the LLM."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "agent": {"fastapi", "starlette", "sse_starlette", "backend"},
    "tools": {"fastapi", "starlette", "agents", "backend", "sse_starlette"},
    "db": {"fastapi", "starlette", "agents", "backend", "tools", "sse_starlette"},
}
# The replay runner drives the backend (it is a client of the app); the offline model's server is a
# stand-in for a model provider, a process of its own.
ALLOWED = {"agent/replay/runner.py": {"backend"}, "agent/offline/server.py": {"starlette"}}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_below_it(package: str) -> None:
    # env.py is Alembic's CLI glue, run as a script: it may read the app's settings.
    files = [p for p in (ROOT / package).rglob("*.py") if p.name != "env.py"]
    assert files
    offenders = {
        str(p.relative_to(ROOT)): _imports(p)
        & FORBIDDEN[package] - ALLOWED.get(str(p.relative_to(ROOT)), set())
        for p in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_package_is_installed() -> None:
    """A top-level package missing from pyproject's list works from a checkout but not once installed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "deploy"}
    assert packages == included
