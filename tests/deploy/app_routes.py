"""What the app serves, asked of the app itself (no database needed: nothing is called)."""

from functools import cache

from fastapi import FastAPI
from starlette.routing import Match

from backend.app import create_app
from tests.conftest import make_settings


@cache
def _app() -> FastAPI:
    return create_app(make_settings("postgresql+asyncpg://nobody@127.0.0.1:1/unused"))


def serves(method: str, path: str) -> bool:
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in _app().routes)


def streaming_paths() -> list[str]:
    """OpenAPI paths of the routes that answer `text/event-stream`."""
    return [
        path
        for path, operations in _app().openapi()["paths"].items()
        for operation in operations.values()
        if any("text/event-stream" in r.get("content", {}) for r in operation["responses"].values())
    ]
