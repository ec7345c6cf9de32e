"""The OpenAPI document speaks the contract: operation ids are its names, the chat stream's events
are described from their types, and errors have one shape."""

import httpx2

from agent.events import CHAT_EVENTS


async def test_operation_ids_are_the_contracts_names(client: httpx2.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {"list_tasks", "create_task", "read_task", "update_task", "delete_task"} <= ids
    assert {"agent_list_tasks", "chat", "list_conversations", "list_actions"} <= ids
    assert schema["paths"]["/api/tasks/{task_id}"]["patch"]["operationId"] == "update_task"


async def test_the_chat_stream_is_documented_from_its_types(client: httpx2.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    chat = schema["paths"]["/api/chat"]["post"]
    items = chat["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"]
    names = [item["properties"]["event"]["const"] for item in items]
    assert names == ["conversation", "text_delta", "tool_call", "tool_result", "message", "done", "error"]
    for item, event in zip(items, CHAT_EVENTS, strict=True):
        reference = item["properties"]["data"]["contentSchema"]["$ref"]
        assert reference == f"#/components/schemas/{event.__name__}"
        data = schema["components"]["schemas"][event.__name__]
        assert "type" not in data["properties"], "the event name is the SSE event, not a data field"
        assert f"`{names[CHAT_EVENTS.index(event)]}`" in chat["description"]
    error_codes = schema["components"]["schemas"]["TurnErrorCode"]["enum"]
    assert "model_timeout" in error_codes and "turn_timeout" in error_codes


async def test_every_error_response_has_the_error_shape(client: httpx2.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert "ErrorResponse" in schema["components"]["schemas"]
    documented = schema["paths"]["/api/tasks/{task_id}"]["get"]["responses"]["404"]
    assert documented["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ErrorResponse"
