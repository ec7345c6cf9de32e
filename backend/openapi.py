"""The chat stream in OpenAPI, generated from the event types of `agent.events`.

OpenAPI 3.2 describes an event stream by the schema of one event (`itemSchema`): here a `oneOf`
of our events, each an SSE event whose `event` is the type's name and whose `data` is its JSON.
The event models go into the document's components, and the Markdown table in the route's
description is written from their docstrings and fields, so neither can drift from the code.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from agent.events import CHAT_EVENTS
from backend.bodies import BODY_MODELS
from backend.ui_chunks import CHUNKS, Wire

REF = "#/components/schemas/{model}"


def _name(event: type[BaseModel]) -> str:
    return str(event.model_fields["type"].default)


def event_stream_content() -> dict[str, Any]:
    """The `text/event-stream` content of a response carrying chat events."""
    items = [
        {
            "type": "object",
            "title": event.__name__,
            "required": ["event", "data", "id"],
            "properties": {
                "event": {"const": _name(event)},
                "id": {"type": "string", "description": "unique and increasing within the conversation"},
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": REF.format(model=event.__name__)},
                },
            },
        }
        for event in CHAT_EVENTS
    ]
    return {"text/event-stream": {"itemSchema": {"oneOf": items}}}


def event_table() -> str:
    rows = ["| event | data | when |", "|---|---|---|"]
    for event in CHAT_EVENTS:
        fields = ", ".join(name for name in event.model_fields if name != "type")
        when = " ".join((event.__doc__ or "").split())
        rows.append(f"| `{_name(event)}` | `{{{fields}}}` | {when} |")
    return "\n".join(rows)


def ui_component(chunk: type[Wire]) -> str:
    """A UI stream chunk's name among the components (apart from our own events' names)."""
    return f"{chunk.__name__}Chunk"


def ui_stream_content() -> dict[str, Any]:
    """The `text/event-stream` content of a response carrying AI SDK UI message chunks."""
    items = [
        {
            "type": "object",
            "title": ui_component(chunk),
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {"$ref": REF.format(model=ui_component(chunk))},
                }
            },
        }
        for chunk in CHUNKS
    ]
    return {"text/event-stream": {"itemSchema": {"oneOf": items}}}


def chunk_table() -> str:
    """The UI message chunks we send, as a Markdown table (`?`: left out when it has no value)."""
    rows = ["| chunk | fields | when |", "|---|---|---|"]
    for chunk in CHUNKS:
        fields = ", ".join(
            f"{field.alias}{'' if field.is_required() else '?'}"
            for name, field in chunk.model_fields.items()
            if name != "type"
        )
        when = " ".join((chunk.__doc__ or "").split())
        rows.append(f"| `{_name(chunk)}` | `{{{fields}}}` | {when} |")
    return "\n".join(rows)


def install(app: FastAPI) -> None:
    """Add the event models to the app's OpenAPI components (the routes refer to them)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for event in CHAT_EVENTS:
                definition = event.model_json_schema(mode="serialization", ref_template=REF)
                components.update(definition.pop("$defs", {}))
                components[event.__name__] = definition
            for chunk in CHUNKS:
                # Validation mode: the chunks' serializer only leaves absent fields out, and the
                # serialization schema would not see through it.
                definition = chunk.model_json_schema(ref_template=REF)
                components.update(definition.pop("$defs", {}))
                components[ui_component(chunk)] = definition
            for body in BODY_MODELS:  # bodies validated off the event loop (backend.bodies)
                definition = body.model_json_schema(mode="validation", ref_template=REF)
                components.update(definition.pop("$defs", {}))
                components[body.__name__] = definition
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
