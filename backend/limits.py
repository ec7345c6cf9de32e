"""Request body size limit, answered in the standard error shape (413 `payload_too_large`)."""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import ApiError, error_response

TOO_LARGE = "the request body is larger than the server accepts"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await error_response(413, "payload_too_large", TOO_LARGE)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:  # a body sent without Content-Length, chunk by chunk
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ApiError(413, "payload_too_large", TOO_LARGE)  # rendered by the error handlers
            return message

        await self.app(scope, counting_receive, send)
