"""Headers every response carries unless its route set its own: `X-Content-Type-Options: nosniff`
(a JSON body is never run as a script or a stylesheet) and `Cache-Control: no-store` (answers
carry one user's data: no shared or browser cache keeps them). The chat page and the event
streams set their own `Cache-Control` and keep it."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULTS = ((b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store"))


class DefaultHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_defaults(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [(k, v) for k, v in DEFAULTS if k not in present]
            await send(message)

        await self.app(scope, receive, send_with_defaults)
