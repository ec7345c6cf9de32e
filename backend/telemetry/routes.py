"""`GET /metrics`: the Prometheus text exposition of this instance's metrics."""

import secrets
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.deps import SettingsDep
from backend.errors import unauthorized
from backend.telemetry.providers import Telemetry

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(
    request: Request, settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    token = settings.metrics.token
    if token is not None and not secrets.compare_digest(
        (authorization or "").encode(), f"Bearer {token.get_secret_value()}".encode()
    ):
        raise unauthorized("metrics need the METRICS_TOKEN bearer token")
    telemetry: Telemetry = request.app.state.telemetry
    return Response(generate_latest(telemetry.registry), media_type=CONTENT_TYPE_LATEST)
