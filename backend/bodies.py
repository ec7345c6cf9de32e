"""Large JSON bodies, parsed and validated off the event loop.

FastAPI validates a declared body on the event loop. For a transcript of a few megabytes that is
a few hundred milliseconds during which no other request of the instance is served (not even
`/health`). A route taking such a body reads it with `parsed_body` instead, which validates on a
worker thread (the model's Python validators let the loop take the interpreter back between
items), and declares its schema with `json_body` so the OpenAPI document still describes it.
"""

import asyncio
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from tools.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)
# Models of bodies declared this way: backend.openapi adds their schemas to the components.
BODY_MODELS: list[type[BaseModel]] = []


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` for a route whose JSON body is `model`, read with `parsed_body`."""
    BODY_MODELS.append(model)
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def parsed_body(request: Request, model: type[M]) -> M:
    """The request's JSON body as `model`; 422 naming each bad field, as for a declared body."""
    body = await request.body()
    try:
        return await asyncio.to_thread(model.model_validate_json, body)
    except ValidationError as exc:
        raise InvalidInput.from_errors(exc.errors()) from exc
