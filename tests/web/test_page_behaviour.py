"""The page's own logic in Chromium, against a scripted server: the SSE parser, and how refusals
and failed turns are explained. The page is served from its files by Playwright's router, with
the real Content-Security-Policy, so no database or backend is involved."""

import json
from collections import deque
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from backend.routes.web import ASSETS, MEDIA_TYPES, PAGE_HEADERS, WEB_DIR

ORIGIN = "http://page.test"
EMPTY_PAGE = {"items": [], "total": 0, "limit": 100, "offset": 0}
CONVERSATION = "6f1d0c4e-7f55-4a43-9d3c-3c0e8c9a1b2d"


def sse(*events: tuple[str, dict[str, Any]], first_id: int = 1_000_000) -> str:
    """A stream as the server writes it (CRLF lines), with a keep-alive comment among the events."""
    frames = [
        f"event: {name}\r\ndata: {json.dumps(data)}\r\nid: {first_id + i}\r\n\r\n"
        for i, (name, data) in enumerate(events)
    ]
    frames.insert(1, ": ping\r\n\r\n")
    return "".join(frames)


class ScriptedServer:
    """Serves the page's files, and answers POST /api/chat from a queue of (status, headers, body)."""

    def __init__(self) -> None:
        self.chat: deque[tuple[int, dict[str, str], str]] = deque()
        self.chat_bodies: list[Any] = []

    async def handle(self, route: Route) -> None:
        path = urlsplit(route.request.url).path
        if path == "/" or path.startswith("/assets/"):
            file = WEB_DIR / "index.html" if path == "/" else ASSETS[path.removeprefix("/assets/")]
            headers = {**PAGE_HEADERS, "Content-Type": MEDIA_TYPES[file.suffix]}
            await route.fulfill(status=200, body=file.read_bytes(), headers=headers)
        elif path == "/api/chat":
            self.chat_bodies.append(route.request.post_data_json)
            status, headers, body = self.chat.popleft()
            await route.fulfill(status=status, headers=headers, body=body)
        elif path in ("/api/tasks", "/api/conversations"):
            await route.fulfill(json=EMPTY_PAGE)
        else:
            await route.fulfill(status=404, json={"error": {"code": "not_found", "message": "Not Found"}})

    def refuse(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": {"code": code, "message": message}})
        self.chat.append((status, {"Content-Type": "application/json", **(headers or {})}, body))

    def stream(self, body: str) -> None:
        self.chat.append((200, {"Content-Type": "text/event-stream"}, body))


@pytest.fixture
async def context(browser: Browser) -> Any:
    context = await browser.new_context(base_url=ORIGIN)
    yield context
    await context.close()


async def open_page(context: BrowserContext, server: ScriptedServer, *, signed_in: bool) -> Page:
    await context.route(f"{ORIGIN}/**", server.handle)
    if signed_in:
        session = json.dumps({"token": "a-token", "user": {"email": "ada@example.com", "name": "Ada"}})
        await context.add_init_script(f"sessionStorage.setItem('todo.session', {json.dumps(session)})")
    page = await context.new_page()
    page.on("pageerror", lambda error: pytest.fail(f"page error: {error}"))
    await page.goto("/")
    return page


async def test_the_sse_parser(context: BrowserContext) -> None:
    page = await open_page(context, ScriptedServer(), signed_in=False)
    stream = (
        'event: text_delta\r\ndata: {"delta": "h\u00e9"}\r\nid: 7\r\n\r\n'  # CRLF, a 2-byte character
        ": ping\n\n"  # a comment: no event
        "data: first line\ndata:second line\n\n"  # no event name; the id carries over
        "event: done\rdata: {}\rid: 9\r\r"  # bare CR line ends
        "id: 10\n\n"  # an id without data dispatches nothing
        "event: error\ndata: {}\n"  # cut before its blank line: dropped
    ).encode()
    expected = [
        {"event": "text_delta", "data": '{"delta": "h\u00e9"}', "id": "7"},
        {"event": "message", "data": "first line\nsecond line", "id": "7"},
        {"event": "done", "data": "{}", "id": "9"},
    ]
    for size in (1, 2, 3, 7, len(stream)):  # every way the network may cut it, CRLF and UTF-8 included
        chunks = [list(stream[i : i + size]) for i in range(0, len(stream), size)]
        events = await page.evaluate(
            """async (chunks) => {
                const { readEvents } = await import("/assets/sse.js");
                const body = new ReadableStream({
                  start(controller) {
                    for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
                    controller.close();
                  },
                });
                const events = [];
                for await (const event of readEvents(body)) events.push(event);
                return events;
            }""",
            chunks,
        )
        assert events == expected, f"chunks of {size} bytes"


async def test_refusals_and_failures_are_explained(context: BrowserContext) -> None:
    server = ScriptedServer()
    page = await open_page(context, server, signed_in=True)
    composer = page.get_by_label("Message", exact=True)
    notice = page.locator("#chat-notice")

    server.refuse(409, "conversation_busy", "the conversation is still answering")
    await composer.fill("add milk")
    await composer.press("Enter")
    await expect(notice).to_have_text(
        "This conversation is still answering the previous message. Wait for it to finish, or stop it."
    )
    await expect(composer).to_have_value("add milk")  # nothing was sent: the text is kept
    await expect(page.locator(".turn")).to_have_count(0)

    server.refuse(429, "rate_limited", "too many requests", {"Retry-After": "7"})
    await composer.press("Enter")
    await expect(notice).to_have_text("Too many requests. Try again in 7 s.")

    server.refuse(422, "validation_error", "message: String should have at most 4000 characters")
    await composer.press("Enter")
    await expect(notice).to_have_text("message: String should have at most 4000 characters")

    started = {"conversation_id": CONVERSATION, "user_message_id": "0b5c3f7e-3f7e-4a43-9d3c-3c0e8c9a1b2d"}
    server.stream(
        sse(
            ("conversation", started),
            ("text_delta", {"delta": "Let me"}),
            ("error", {"code": "model_timeout", "message": "timed out after 60 s"}),
        )
    )
    await composer.press("Enter")
    turn = page.locator(".turn")
    await expect(turn).to_have_attribute("data-state", "failed")
    await expect(turn.locator(".turn-ending")).to_have_text(
        "Failed: The model took too long to answer. Try again."
    )
    await expect(notice).to_be_hidden()
    await expect(composer).to_have_value("")

    server.stream(
        sse(
            ("conversation", started),
            ("error", {"code": "quota_spent", "message": "The monthly quota is spent."}),
            first_id=2_000_000,
        )
    )
    await composer.fill("try again")
    await composer.press("Enter")
    await expect(turn.nth(1).locator(".turn-ending")).to_have_text("Failed: The monthly quota is spent.")
    assert server.chat_bodies[-1] == {"message": "try again", "conversation_id": CONVERSATION}

    server.refuse(401, "unauthorized", "token expired")
    await composer.fill("and now?")
    await composer.press("Enter")
    await expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    await expect(page.locator("#auth-notice")).to_have_text("Your session has ended. Please log in again.")
    assert await page.evaluate("sessionStorage.getItem('todo.session')") is None
