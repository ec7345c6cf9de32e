"""The chat page's files: served with the right types and headers, complete, and free of HTML sinks."""

import re

import httpx2
import pytest

from backend.routes.web import ASSETS, CONTENT_SECURITY_POLICY, WEB_DIR

TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def test_the_policy_allows_no_inline_code() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"


async def test_the_page_is_served_at_the_root_with_security_headers(client: httpx2.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/assets/app.js">' in response.text


@pytest.mark.parametrize("name", sorted(ASSETS))
async def test_each_asset_has_its_type(client: httpx2.AsyncClient, name: str) -> None:
    response = await client.get(f"/assets/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == TYPES[ASSETS[name].suffix]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == ASSETS[name].read_bytes()


@pytest.mark.parametrize("path", ["/assets/index.html", "/assets/missing.js", "/assets/..%2Fapp.py"])
async def test_nothing_else_is_served(client: httpx2.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_the_page_is_not_part_of_the_api_schema(client: httpx2.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/" not in paths
    assert not [p for p in paths if p.startswith("/assets")]


def test_every_referenced_file_exists() -> None:
    """The page and its modules name only files that are served (no build step would catch it)."""
    index = (WEB_DIR / "index.html").read_text()
    referenced = set(re.findall(r'(?:src|href)="/assets/([^"]+)"', index))
    for path in WEB_DIR.glob("*.js"):
        referenced |= set(re.findall(r'from "\./([^"]+)"', path.read_text()))
    assert referenced and referenced <= set(ASSETS)
    assert {p.name for p in WEB_DIR.glob("*.js")} <= referenced | {"app.js"}


def test_no_html_sinks_or_inline_code() -> None:
    """Text is set with textContent and nodes with createElement; the CSP would block the rest anyway."""
    for path in WEB_DIR.glob("*.js"):
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
            assert sink not in source, f"{path.name} uses {sink}"
    index = (WEB_DIR / "index.html").read_text()
    assert not re.search(r"\son[a-z]+=", index), "inline event handler"
    assert not re.search(r"\sstyle=", index), "inline style"
    assert not re.search(r"<script(?![^>]*\bsrc=)", index), "inline script"
    assert not re.search(r"<style", index), "inline style block"
