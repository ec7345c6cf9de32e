"""What the browser tests share: the artifacts folder, typing into the page, and the watch for
console errors, uncaught exceptions and dialogs."""

from pathlib import Path

from playwright.async_api import ConsoleMessage, Dialog, Page

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


class Problems:
    """Console errors, uncaught exceptions and dialogs: none may happen during a test."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        page.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.seen.append(f"console error: {message.text}")

    async def _dialog(self, dialog: Dialog) -> None:
        self.seen.append(f"dialog: {dialog.message}")
        await dialog.dismiss()


async def send(page: Page, message: str) -> None:
    composer = page.get_by_label("Message", exact=True)
    await composer.fill(message)
    await composer.press("Enter")


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
