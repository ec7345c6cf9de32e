"""A chat app to talk to in a test: the real app with a scripted model, a client and a user."""

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx2
from agents import Model
from fastapi import FastAPI
from opentelemetry.sdk.trace.export import SpanExporter

from backend.app import create_app
from tests.conftest import asgi_client, make_settings
from tests.factories import AuthedUser, make_user
from tests.provider import BASE_URL, ScriptedProvider, Step

Api = Literal["responses", "chat_completions"]
Event = tuple[str, int, dict[str, Any]]  # (event name, id, data) as a client reads them


@dataclass
class Chat:
    app: FastAPI
    client: httpx2.AsyncClient
    user: AuthedUser
    provider: ScriptedProvider

    async def events(
        self,
        message: str,
        conversation_id: str | uuid.UUID | None = None,
        *,
        user: AuthedUser | None = None,
        headers: dict[str, str] | None = None,
    ) -> list[Event]:
        """POST /api/chat and read the SSE stream as a client does."""
        body = {"message": message} | ({"conversation_id": str(conversation_id)} if conversation_id else {})
        request_headers = {**(user or self.user).headers, **(headers or {})}
        async with self.client.sse("/api/chat", method="POST", json=body, headers=request_headers) as source:
            return [(e.event, int(e.id), json.loads(e.data)) async for e in source]

    async def reply(
        self, message: str, conversation_id: str | uuid.UUID | None = None, *, user: AuthedUser | None = None
    ) -> httpx2.Response:
        """POST /api/chat with `stream: false`."""
        body = {"message": message, "stream": False}
        if conversation_id:
            body["conversation_id"] = str(conversation_id)
        return await self.client.post("/api/chat", json=body, headers=(user or self.user).headers)

    async def get(self, path: str, *, user: AuthedUser | None = None, **params: Any) -> Any:
        response = await self.client.get(path, params=params, headers=(user or self.user).headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def another_user(self) -> AuthedUser:
        return await make_user(self.app)


@asynccontextmanager
async def chat_app(
    database_url: str,
    *steps: Step,
    api: Api = "responses",
    model: Model | None = None,
    span_exporter: SpanExporter | None = None,
    **settings: Any,
) -> AsyncIterator[Chat]:
    """The app with its model at an OpenAI-compatible provider answering `steps` (or `model`, an
    SDK model in process, where HTTP is not the point); its traces go to `span_exporter`."""
    provider = ScriptedProvider(*steps)
    llm = {"provider": "openai", "api": api, "model": "gpt-test", "max_retries": 0, **settings.pop("llm", {})}
    config = make_settings(
        database_url, llm=llm, openai={"api_key": "sk-test", "base_url": BASE_URL}, **settings
    )
    app = create_app(config, model=model, llm_transport=provider.transport(), span_exporter=span_exporter)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        yield Chat(app, client, await make_user(app), provider)
