"""Dependencies point one way, and this test proves it would notice if they did not.

    db, wire  <-  tools  <-  agent  <-  backend  <-  replay

`db` and `wire` are leaves; the domain (`tools`) knows nothing of HTTP or the LLM; the agent
knows nothing of HTTP or of the record/replay tools; `replay` drives the whole app. The one
exception is named: `backend/main.py` is the process's composition root, which plugs the
replay package in when the settings ask for it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WEB = {"fastapi", "starlette", "sse_starlette", "uvicorn"}
FORBIDDEN = {
    "db": {"tools", "agent", "backend", "replay", "wire", "agents", "openai"} | WEB,
    "wire": {"db", "tools", "agent", "backend", "replay", "agents", "fastapi"},
    "tools": {"agent", "backend", "replay", "wire", "agents", "openai"} | WEB,
    "agent": {"backend", "replay"} | WEB,
    "backend": {"replay"},
}
COMPOSITION_ROOTS = {"backend/main.py"}


def imports(source: str) -> set[str]:
    """The top-level names a module imports, absolute imports only (the project uses no others)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def violations(root: Path) -> dict[str, set[str]]:
    found = {}
    for package, forbidden in FORBIDDEN.items():
        for path in (root / package).rglob("*.py"):
            name = str(path.relative_to(root))
            bad = imports(path.read_text()) & forbidden
            if bad and name not in COMPOSITION_ROOTS:
                found[name] = bad
    return found


def test_every_package_imports_only_below_it() -> None:
    assert violations(ROOT) == {}


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("tools/paging.py", "import agent.errors"),
        ("db/types.py", "from agent.context import ChatContext"),
        ("tools/schemas.py", "from backend import settings"),
        ("agent/stream.py", "from backend.errors import ApiError"),
        ("agent/chat.py", "import replay.recorder"),
        ("wire/reply.py", "from tools.schemas import TaskPublic"),
        ("backend/app.py", "from replay.wiring import wire"),
    ],
)
def test_the_check_catches_an_upward_import(tmp_path: Path, module: str, line: str) -> None:
    for package in FORBIDDEN:
        (tmp_path / package).mkdir()
    target = tmp_path / module
    target.write_text((ROOT / module).read_text() + f"\n{line}\n")
    assert set(violations(tmp_path)) == {module}


def test_every_package_is_installed() -> None:
    """A top-level package missing from pyproject's list works from a checkout but not once installed."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = {p.rstrip("*") for p in config["tool"]["setuptools"]["packages"]["find"]["include"]}
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "deploy"}
    assert packages == included
