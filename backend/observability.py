"""Request ids, access logs and the last-resort 500 handler.

One pure-ASGI middleware (so streaming responses pass through untouched) accepts or generates
`X-Request-ID`, echoes it, puts it in context for every log line of the request (`backend.logs`),
and turns an unhandled exception into the standard JSON 500 body without a stack trace reaching
the client.
"""

import logging
import re
import uuid
from contextvars import ContextVar
from time import perf_counter

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.errors import error_response

log = logging.getLogger("backend.access")
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
# Accepted from clients only if it is short and cannot forge log lines.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started, status, response_started = perf_counter(), 500, False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response_started:
                raise
            response = error_response(
                500, "internal_error", "internal server error", headers={"X-Request-ID": request_id}
            )
            await response(scope, receive, send)
        finally:
            log.info(
                "%s %s %s %.1fms", scope["method"], scope["path"], status, (perf_counter() - started) * 1000
            )
            request_id_var.reset(token)
