"""A model of query parameters, read in one validation.

FastAPI reads a query-parameter model (`Annotated[Model, Query()]`) field by field on every
request — each field's aliases, whether its type is a sequence, its value, then the extras — and
that took an eighth of the CPU of a whole `GET /api/tasks` (py-spy). `QueryModel` validates the
query string's values in one call of the model's own validator instead: the same model, the same
values (the last of a repeated parameter, as FastAPI takes for a field that is not a list), the
same errors (a 422 with each field's `query` location). Its OpenAPI parameters are the ones
FastAPI itself writes for the model, generated once.
"""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class QueryModel(Generic[M]):
    """A dependency reading `model` from the query string; `openapi` documents it on a route
    (`openapi_extra=...`). For models without list fields (a list takes every repeated value)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.openapi = {"parameters": _parameters(model)}

    async def __call__(self, request: Request) -> M:
        try:
            return self.model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None


def _parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """What FastAPI documents for `Annotated[model, Query()]`: asked of FastAPI itself."""
    probe = FastAPI()

    @probe.get("/")
    async def read(query: Annotated[model, Query()]) -> None:  # type: ignore[valid-type]
        """Only for its documentation."""

    parameters: list[dict[str, Any]] = probe.openapi()["paths"]["/"]["get"]["parameters"]
    return parameters
