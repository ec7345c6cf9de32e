"""The built-in chat page: `index.html` at `/`, its scripts and styles under `/assets/`.

Plain files, no build step. The set of assets is fixed when the module loads, so a request can
only ever name one of them (no path is built from user input). Every page response forbids
inline script and style, so text the page renders from the model or a task title cannot run.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from backend.errors import ApiError

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # No build step means no hashed file names: revalidate every time (ETag makes that cheap).
    "Cache-Control": "no-cache",
}
ASSETS = {
    path.name: path
    for path in sorted(WEB_DIR.iterdir())
    if path.suffix in MEDIA_TYPES and path.name != "index.html"
}

router = APIRouter(include_in_schema=False)


def _page_file(path: Path) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=PAGE_HEADERS)


@router.get("/")
async def index() -> FileResponse:
    return _page_file(WEB_DIR / "index.html")


@router.get("/assets/{name}")
async def asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise ApiError(404, "not_found", f"no asset named {name!r}")
    return _page_file(path)
