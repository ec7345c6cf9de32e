"""Stopping a turn and picking it back up after a reload, on the page, against the real routes
(`POST /api/conversations/{id}/stop`, `GET /api/conversations/{id}/stream`).

The model is a scripted provider whose second answer streams its first words and then waits for
the test, like a model in the middle of a sentence; the app runs under uvicorn so the browser can
reach it. The user is signed in by putting their token where the page keeps it.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import aclosing, asynccontextmanager

import httpx2
from openai.types.responses import ResponseTextDeltaEvent
from playwright.async_api import Browser, Page, expect

from tests.chat import chat_app
from tests.factories import AuthedUser
from tests.provider import Step, call, text
from tests.web.browser import Problems, screenshot, send
from wire import responses
from wire.fragments import words
from wire.server import serving
from wire.sse import responses_body

HOLD_S = 20  # a held answer gives up after this: a failing test must not hang

# Every text the live reply shows while its turn streams, to prove no text ever shows twice.
WATCH_REPLY = """
window.__replyTexts = [];
new MutationObserver(() => {
  const reply = document.querySelector('.turn[data-state="streaming"] .reply');
  const text = reply ? reply.textContent : "";
  if (text && window.__replyTexts.at(-1) !== text) window.__replyTexts.push(text);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


class HeldReply:
    """A model answer (Responses API) that streams its first `shown` words, then waits until the
    test releases it before writing the rest."""

    def __init__(self, reply: str, shown: int) -> None:
        self.reply = reply
        self.partial = "".join(words(reply)[:shown])
        self.shown = shown
        self.holding, self.release = asyncio.Event(), asyncio.Event()

    async def __call__(self, _: httpx2.Request) -> Step:
        events = responses.stream(text(self.reply), words)
        deltas = [i for i, event in enumerate(events) if isinstance(event, ResponseTextDeltaEvent)]
        cut = deltas[self.shown - 1] + 1

        async def body() -> AsyncIterator[bytes]:
            yield responses_body(events[:cut])
            self.holding.set()
            await asyncio.wait_for(self.release.wait(), HOLD_S)
            yield responses_body(events[cut:])

        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    async def aclose(self) -> None:
        """Let the answer finish, so a failed test ends at once instead of at the shutdown grace."""
        self.release.set()


@asynccontextmanager
async def signed_in(browser: Browser, base_url: str, user: AuthedUser) -> AsyncIterator[Page]:
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 800})
    session = json.dumps(json.dumps({"token": user.token, "user": {"email": user.email, "name": "Ada"}}))
    # Only if absent: a reload must find the tab's own sessionStorage as the page left it.
    sign_in = f"sessionStorage.getItem('todo.session') ?? sessionStorage.setItem('todo.session', {session});"
    await context.add_init_script(sign_in + WATCH_REPLY)
    try:
        page = await context.new_page()
        await page.goto("/")
        yield page
    finally:
        await context.close()


async def reply_text(page: Page, index: int = 0) -> str:
    """The reply exactly as shown (Playwright's text assertions collapse whitespace)."""
    text: str = await page.locator(".turn .reply").nth(index).evaluate("node => node.textContent")
    return text


async def test_stop_keeps_the_finished_tool_call_and_the_reply_so_far(
    database_url: str, browser: Browser
) -> None:
    held = HeldReply("I added “Buy milk” to your list. Anything else for the shop?", shown=4)
    steps = (call("create_task", {"title": "Buy milk"}, call_id="c1"), held, text("Noted: bread too."))
    async with (
        chat_app(database_url, *steps) as chat,
        aclosing(held),
        serving(chat.app) as base_url,
        signed_in(browser, base_url, chat.user) as page,
    ):
        problems = Problems(page)
        await send(page, "add milk")
        turn = page.locator(".turn").first
        card = turn.locator('.tool-card[data-tool="create_task"]')
        await expect(card.locator(".tool-status")).to_have_text("ok")
        await expect(turn.locator(".reply")).to_have_text(held.partial.strip())
        assert held.holding.is_set()

        await page.get_by_role("button", name="Stop").click()
        await expect(turn).to_have_attribute("data-state", "stopped", timeout=2_000)
        await expect(turn.locator(".turn-ending")).to_have_text("Stopped")
        assert await reply_text(page) == held.partial
        await expect(card.locator(".tool-title")).to_have_text("Created task")
        await expect(card.locator(".tool-result")).to_have_text("“Buy milk”")
        await expect(page.get_by_role("button", name="Send")).to_be_visible()
        await expect(page.get_by_role("button", name="Stop")).to_be_hidden()
        await expect(page.locator("#chat-notice")).to_be_hidden()
        await expect(page.locator("#pending-list .task-title")).to_have_text(["Buy milk"])
        await screenshot(page, "stopped-1280-light")

        conversation_id = await page.evaluate("sessionStorage.getItem('todo.conversation')")
        stored = (await chat.get(f"/api/conversations/{conversation_id}"))["turns"]
        assert [t["status"] for t in stored] == ["stopped"]
        assert stored[0]["assistant_message"]["content"] == held.partial

        # The stopped turn as stored renders the same after a reload.
        await page.reload()
        await expect(turn).to_have_attribute("data-state", "stopped")
        await expect(turn.locator(".tool-card")).to_have_count(1)
        assert await reply_text(page) == held.partial

        await send(page, "and bread")
        second = page.locator(".turn").nth(1)
        await expect(second).to_have_attribute("data-state", "completed")
        assert await reply_text(page, 1) == "Noted: bread too."
        await expect(turn).to_have_attribute("data-state", "stopped")
        await page.emulate_media(color_scheme="dark")
        await screenshot(page, "stopped-1280-dark")
    assert problems.seen == []


async def test_a_reload_mid_turn_resumes_the_stream_without_repeating_it(
    database_url: str, browser: Browser
) -> None:
    held = HeldReply("I added “Call mum” for today. Anything else?", shown=3)
    steps = (call("create_task", {"title": "Call mum"}, call_id="c1"), held)
    async with (
        chat_app(database_url, *steps) as chat,
        aclosing(held),
        serving(chat.app) as base_url,
        signed_in(browser, base_url, chat.user) as page,
    ):
        problems = Problems(page)
        await send(page, "remind me to call mum")
        turn = page.locator(".turn").first
        await expect(turn.locator(".tool-card .tool-status")).to_have_text("ok")
        await expect(turn.locator(".reply")).to_have_text(held.partial.strip())
        conversation_id = await page.evaluate("sessionStorage.getItem('todo.conversation')")
        progress_key = f"todo.stream.{conversation_id}"
        saved = json.loads(await page.evaluate("key => sessionStorage.getItem(key)", progress_key))

        async with page.expect_request(lambda request: request.url.endswith("/stream")) as resuming:
            await page.reload()
        resumed = await resuming.value
        assert (await resumed.all_headers())["last-event-id"] == saved["lastId"]
        assert resumed.url == f"{base_url}/api/conversations/{conversation_id}/stream"
        await expect(turn).to_have_attribute("data-state", "streaming")
        await expect(page.get_by_role("button", name="Stop")).to_be_enabled()
        # Held: nothing new can arrive, so what shows is what was saved, once, and stays so.
        await expect(turn.locator(".reply")).to_have_text(held.partial.strip())
        await page.wait_for_timeout(300)
        assert await reply_text(page) == held.partial
        await expect(turn.locator(".tool-card")).to_have_count(1)

        held.release.set()
        await expect(turn).to_have_attribute("data-state", "completed")
        assert await reply_text(page) == held.reply
        await expect(page.locator(".turn")).to_have_count(1)
        await expect(turn.locator(".tool-card")).to_have_count(1)
        await expect(turn.locator(".tool-card .tool-title")).to_have_text("Created task")
        await expect(page.locator("#chat-notice")).to_be_hidden()
        shown = await page.evaluate("window.__replyTexts")
        assert shown and all(held.reply.startswith(text) for text in shown), shown
        assert await page.evaluate("key => sessionStorage.getItem(key)", progress_key) is None
        await screenshot(page, "resumed-1280-light")
    assert problems.seen == []
