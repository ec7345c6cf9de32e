"""`QueryModel` reads a query string as FastAPI's own query-parameter model does: the same values,
the same 422s, the same OpenAPI parameters."""

from typing import Annotated, Any

import httpx2
import pytest
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel

from backend.errors import install_error_handlers
from backend.query_models import QueryModel
from tests.conftest import asgi_client
from tools.schemas import ActionQuery, TaskQuery

QUERIES = [
    "",
    "limit=5&offset=10",
    "status=pending&priority=high&sort_by=due_date&order=desc",
    "search=dentist&due_before=2026-03-05&due_after=2026-03-01",
    "search=",  # blank: no search
    "limit=3&limit=7",  # repeated: the last one
    "limit=0",
    "limit=abc&offset=-1",
    "priority=urgent",
    "due_after=2026-03-09&due_before=2026-03-01",
    "offset=99999999",
    "user_id=00000000-0000-0000-0000-000000000001",  # unknown: refused
    "sort_by=title&unknown=1&other=2",
    "search=" + "x" * 201,
    "priority=",
]


def probe(model: type[BaseModel]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    ours = QueryModel(model)

    @app.get("/fastapi")
    async def by_fastapi(query: Annotated[model, Query()]) -> dict[str, Any]:  # type: ignore[valid-type]
        return query.model_dump(mode="json")  # type: ignore[attr-defined]

    @app.get("/ours", openapi_extra=ours.openapi)
    async def by_us(query: Annotated[model, Depends(ours)]) -> dict[str, Any]:  # type: ignore[valid-type]
        return query.model_dump(mode="json")  # type: ignore[attr-defined]

    return app


@pytest.mark.parametrize("model", [TaskQuery, ActionQuery])
async def test_every_query_string_reads_as_fastapi_reads_it(model: type[BaseModel]) -> None:
    async with asgi_client(probe(model)) as client:
        for query in QUERIES:
            expected = await client.get(f"/fastapi?{query}")
            answer = await client.get(f"/ours?{query}")
            assert (answer.status_code, answer.json()) == (expected.status_code, expected.json()), query


async def test_the_cases_are_not_all_alike() -> None:
    async with asgi_client(probe(TaskQuery)) as client:
        answers = [await client.get(f"/ours?{query}") for query in QUERIES]
    assert {a.status_code for a in answers} == {200, 422}
    assert answers[5].json()["limit"] == 7
    refused = answers[11].json()["error"]
    assert refused["code"] == "validation_error" and refused["details"][0]["field"] == "user_id"


async def test_the_documented_parameters_are_fastapis(client: httpx2.AsyncClient) -> None:
    async with asgi_client(probe(TaskQuery)) as probe_client:
        documented = (await probe_client.get("/openapi.json")).json()["paths"]
    assert documented["/ours"]["get"]["parameters"] == documented["/fastapi"]["get"]["parameters"]
    spec = (await client.get("/openapi.json")).json()
    for path in ("/api/tasks", "/api/agent/tasks"):
        names = [p["name"] for p in spec["paths"][path]["get"]["parameters"]]
        assert names == list(TaskQuery.model_fields), path
    names = [p["name"] for p in spec["paths"]["/api/actions"]["get"]["parameters"]]
    assert names == list(ActionQuery.model_fields)
