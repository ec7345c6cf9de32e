"""A new user on the built-in chat page, in a real browser: sign up, chat, watch the task panel.

The server is the real app under uvicorn with the built-in offline model, paced like a model that
writes word by word, and a clock fixed at a moment when it is still Friday in UTC but already
Saturday in Auckland, so "for Friday" proves the page sends the browser's time zone.
"""

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx2
from playwright.async_api import Browser, Page, expect

from agent.offline.model import OfflineModel
from agent.providers import ChatModel
from backend.app import create_app
from backend.routes.web import CONTENT_SECURITY_POLICY
from tests.conftest import make_settings
from tests.web.browser import Problems, screenshot, send
from wire.server import serving

ZONE = "Pacific/Auckland"
PACE_S = 0.03
XSS_TITLE = "<img src=x onerror=alert(1)>"

# Records every length the streaming reply had while its turn was still streaming, so the test can
# tell text that arrived piece by piece from text that appeared all at once at the end.
WATCH_STREAMING = """
window.__replyLengths = [];
new MutationObserver(() => {
  const turn = document.querySelector('.turn[data-state="streaming"] .reply');
  const length = turn ? turn.textContent.length : 0;
  if (length && window.__replyLengths.at(-1) !== length) window.__replyLengths.push(length);
}).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
"""


class PacedOfflineModel(OfflineModel):
    """The built-in offline model, writing at a readable pace like a real model's stream."""

    async def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        async for event in super().stream_response(*args, **kwargs):
            await asyncio.sleep(PACE_S)
            yield event


def friday_afternoon_utc() -> datetime:
    """The next Friday, 14:00 UTC: Saturday 02:00 or 03:00 in Auckland."""
    now = datetime.now(UTC)
    days = (4 - now.weekday()) % 7 or 7
    return (now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)


async def test_a_new_user_manages_tasks_by_chat(database_url: str, browser: Browser) -> None:
    instant = friday_afternoon_utc()
    friday = instant.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=6)  # Saturday there
    paced = ChatModel(lambda turn: PacedOfflineModel(today=turn.now.date()))  # told each user's today
    app = create_app(make_settings(database_url), model=paced, clock=lambda zone: instant.astimezone(zone))
    async with app.router.lifespan_context(app), serving(app) as base_url:
        await assert_security_headers(base_url)
        context = await browser.new_context(
            base_url=base_url, timezone_id=ZONE, locale="en-GB", viewport={"width": 1280, "height": 800}
        )
        await context.add_init_script(WATCH_STREAMING)
        page = await context.new_page()
        problems = Problems(page)
        try:
            await sign_up(page)
            await create_by_chat(page, friday)
            await complete_by_chat(page)
            await toggle_in_the_panel(page, base_url)
            await reload_and_check_safety(page, base_url)
            await screenshots(page)
        finally:
            await context.close()
    assert problems.seen == []


async def assert_security_headers(base_url: str) -> None:
    async with httpx2.AsyncClient(base_url=base_url) as client:
        response = await client.get("/")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


async def sign_up(page: Page) -> None:
    await page.goto("/")
    await page.get_by_role("button", name="Create an account").click()
    await screenshot(page, "sign-up-1280-light")
    await page.get_by_label("Email").fill(f"browser-{uuid.uuid4().hex[:8]}@example.com")
    await page.get_by_label("Name").fill("Ada")
    await page.get_by_label("Password").fill("correct horse battery")
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("button", name="Log out")).to_be_visible()
    await expect(page.get_by_label("Message", exact=True)).to_be_focused()
    assert "token" not in page.url and "access" not in page.url


async def create_by_chat(page: Page, friday: date) -> None:
    await send(page, "add a high priority task for Friday to call the dentist")
    turn = page.locator(".turn").first
    await expect(turn).to_have_attribute("data-state", "completed")
    await expect(page.get_by_label("Message", exact=True)).to_be_focused()
    lengths = await page.evaluate("window.__replyLengths")
    assert len(lengths) >= 3 and lengths == sorted(lengths), f"the reply did not stream: {lengths}"
    reply = turn.locator(".reply")
    await expect(reply).to_have_attribute("aria-live", "polite")
    await expect(reply).to_contain_text("dentist")

    card = turn.locator('.tool-card[data-tool="create_task"]')
    await expect(card.locator(".tool-title")).to_have_text("Created task")
    await expect(card.locator(".tool-status")).to_have_text("ok")
    await expect(card.locator(".tool-args")).to_contain_text("Call the dentist · high priority · due Fri")
    await expect(card.locator(".tool-result")).to_have_text("“Call the dentist”")
    await expect(card.locator(".tool-duration")).to_have_text(re.compile(r"^\d+ ms$|^\d+\.\d s$"))

    task = page.locator("#pending-list .task", has_text="Call the dentist")
    await expect(task.locator(".priority")).to_have_text("High priority")
    due = task.locator("time")
    await expect(due).to_have_attribute("datetime", friday.isoformat())
    await expect(due).to_have_text(re.compile(rf"^Due Fri {friday.day} {friday:%b}( {friday.year})?$"))
    await expect(page.locator("#conversation-list")).to_contain_text("add a high priority task")


async def complete_by_chat(page: Page) -> None:
    await send(page, "mark the dentist task done")
    turn = page.locator(".turn").nth(1)
    await expect(turn).to_have_attribute("data-state", "completed")
    await expect(turn.locator(".tool-card .tool-title")).to_have_text(["Listed tasks", "Updated task"])
    await expect(turn.locator('.tool-card[data-tool="update_task"] .tool-args')).to_have_text("mark done")
    await expect(page.locator("#done-list .task", has_text="Call the dentist")).to_be_visible()
    await expect(page.locator("#pending-list li")).to_have_text(["Nothing to do."])


async def toggle_in_the_panel(page: Page, base_url: str) -> None:
    """The checkbox reopens the task and completes it again, through PATCH /api/tasks/{id}."""
    checkbox = page.get_by_role("checkbox", name="Call the dentist")
    await checkbox.click()
    await expect(page.locator("#pending-list .task", has_text="Call the dentist")).to_be_visible()
    assert [t["completed"] for t in await tasks_via_api(page, base_url)] == [False]
    await expect(checkbox).to_be_focused()
    await checkbox.click()
    await expect(page.locator("#done-list .task", has_text="Call the dentist")).to_be_visible()
    assert [t["completed"] for t in await tasks_via_api(page, base_url)] == [True]


async def tasks_via_api(page: Page, base_url: str, create: dict[str, Any] | None = None) -> list[Any]:
    token = await page.evaluate("JSON.parse(sessionStorage.getItem('todo.session')).token")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(base_url=base_url, headers=headers) as client:
        if create is not None:
            assert (await client.post("/api/tasks", json=create)).status_code == 201
        return (await client.get("/api/tasks")).json()["items"]


async def reload_and_check_safety(page: Page, base_url: str) -> None:
    await tasks_via_api(page, base_url, create={"title": XSS_TITLE})
    await page.reload()
    conversation = page.locator("#conversation-list .conversation-open")
    await expect(conversation).to_have_count(1)
    await expect(conversation).to_have_attribute("aria-current", "true")
    await expect(page.locator(".turn")).to_have_count(2)
    await expect(page.locator(".turn .tool-card")).to_have_count(3)
    await expect(page.locator(".turn .question").first).to_have_text(
        "add a high priority task for Friday to call the dentist"
    )
    await expect(page.locator("#pending-list .task-title")).to_have_text([XSS_TITLE])
    # Model output too: the reply lists the title, as text.
    await send(page, "show my pending tasks")
    reply = page.locator(".turn").nth(2)
    await expect(reply).to_have_attribute("data-state", "completed")
    await expect(reply.locator(".reply")).to_contain_text(XSS_TITLE)
    # No element was made of it; a dialog or a CSP report would be among the test's problems.
    assert await page.locator('img[src="x"]').count() == 0


async def screenshots(page: Page) -> None:
    await screenshot(page, "chat-1280-light")
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.get_by_role("button", name="Tasks")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "chat-390-light")
    await page.get_by_role("button", name="Tasks").click()
    await expect(page.locator("#tasks-panel")).to_be_visible()
    await screenshot(page, "tasks-390-light")
    await page.get_by_role("button", name="Tasks").click()
    await page.emulate_media(color_scheme="dark")
    await screenshot(page, "chat-390-dark")
    await page.set_viewport_size({"width": 1280, "height": 800})
    await screenshot(page, "chat-1280-dark")
