"""The telemetry settings groups (`METRICS_*`, `OTEL_*`), each default stated here once."""

from pydantic import BaseModel, SecretStr, field_validator


class MetricsSettings(BaseModel):
    """`METRICS_*`: the Prometheus endpoint, `GET /metrics`."""

    enabled: bool = True
    # When set, a scrape must send `Authorization: Bearer <token>`.
    token: SecretStr | None = None

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None  # `METRICS_TOKEN=` as .env.example has it: no token, not an empty one


class OtelSettings(BaseModel):
    """`OTEL_*`: traces over OTLP. The variables keep the OpenTelemetry names; the exporter reads
    its other standard variables (`OTEL_EXPORTER_OTLP_HEADERS`, ...) from the environment itself."""

    # Unset: no traces at all. Set: HTTP and agent spans go to `<endpoint>/v1/traces`.
    exporter_otlp_endpoint: str | None = None
    service_name: str = "todo-chat-agent"
    # Messages, tool arguments and results on the spans: user content, so opt-in.
    genai_capture_content: bool = False
