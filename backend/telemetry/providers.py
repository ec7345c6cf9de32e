"""The app's OpenTelemetry providers: metrics for Prometheus, traces for an OTLP collector.

Each app gets its own providers (handed to FastAPI, which records its HTTP spans and metrics into
them), so two apps in one process never mix their figures. The Agents SDK's trace processors and
SQLAlchemy's mapper events are process-wide, though: they find the app they work for through
`current`, set for each request (and inherited by the chat turn it starts) and for the lifespan.
"""

from collections.abc import Iterable, MutableMapping
from contextvars import ContextVar
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import CallbackOptions, NoOpMeterProvider, Observation
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from backend.telemetry.instruments import SCOPE, Instruments
from backend.telemetry.settings import MetricsSettings, OtelSettings
from db.engine import ObservedPool

# Probes and the scrape itself would drown the request metrics.
UNOBSERVED = frozenset({"/metrics", "/health", "/ready"})


class Telemetry:
    def __init__(
        self, metrics: MetricsSettings, otel: OtelSettings, *, span_exporter: SpanExporter | None = None
    ) -> None:
        """`span_exporter` receives the traces (a test's in-memory one); by default they go over
        OTLP to `OTEL_EXPORTER_OTLP_ENDPOINT`, and without one there are none."""
        resource = Resource.create({"service.name": otel.service_name})
        self.registry = CollectorRegistry()
        self.metrics_enabled = metrics.enabled
        self.meter_provider: MeterProvider | NoOpMeterProvider = NoOpMeterProvider()
        if metrics.enabled:
            reader = PrometheusMetricReader(scope_info_enabled=False, registry=self.registry)
            self.meter_provider = MeterProvider([reader], resource=resource, shutdown_on_exit=False)
        if span_exporter is None and otel.exporter_otlp_endpoint:
            span_exporter = OTLPSpanExporter(endpoint=f"{otel.exporter_otlp_endpoint.rstrip('/')}/v1/traces")
        self.tracer_provider: TracerProvider | None = None
        if span_exporter is not None:
            self.tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            self.tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
        self.capture_content = otel.genai_capture_content
        meter = self.meter_provider.get_meter(SCOPE)
        self.instruments = Instruments.on(meter)
        self._engine: AsyncEngine | None = None
        self._pool_limit: int | None = None
        meter.create_observable_up_down_counter(
            "db.client.connection.count", [self._connections], "{connection}", "Pooled connections, by state."
        )
        meter.create_observable_up_down_counter(
            "db.client.connection.pending_requests",
            [self._pending],
            "{request}",
            "Requests waiting for an open connection from the pool.",
        )
        meter.create_observable_up_down_counter(
            "db.client.connection.max",
            [self._connections_max],
            "{connection}",
            "The pool's most connections.",
        )

    @property
    def tracer(self) -> Tracer | None:
        return self.tracer_provider.get_tracer(SCOPE) if self.tracer_provider else None

    def fastapi(self) -> TelemetryConfig:
        """FastAPI's own HTTP spans and metrics, into these providers."""
        return {
            "meter_provider": self.meter_provider,
            "tracer_provider": self.tracer_provider,
            "metrics": self.metrics_enabled,
            "tracing": self.tracer_provider is not None,
            "logs": False,
            # A span per dependency and per endpoint call: noise around the turn's own spans.
            "operation_spans": False,
            "auto_configure": False,
            "exclude": _unobserved,
        }

    def watch_pool(self, engine: AsyncEngine, limit: int | None) -> None:
        """Report the engine's pool: connections used and idle, and `limit`, the most it opens
        (where the pool settings apply: not to SQLite), and how long connections took to get."""
        self._engine, self._pool_limit = engine, limit
        if isinstance(engine.pool, ObservedPool):
            engine.pool.observer = _PoolMetrics(self.instruments)

    def shutdown(self) -> None:
        if isinstance(self.meter_provider, MeterProvider):
            self.meter_provider.shutdown()
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()  # exports what is still queued

    def _pool(self) -> QueuePool | None:
        pool = self._engine.pool if self._engine is not None else None
        return pool if isinstance(pool, QueuePool) else None  # other pools keep no counts

    def _connections(self, _: CallbackOptions) -> Iterable[Observation]:
        if (pool := self._pool()) is not None:
            yield Observation(pool.checkedout(), {"db.client.connection.state": "used"})
            yield Observation(pool.checkedin(), {"db.client.connection.state": "idle"})

    def _pending(self, _: CallbackOptions) -> Iterable[Observation]:
        pool = self._pool()
        if isinstance(pool, ObservedPool):
            yield Observation(pool.pending)

    def _connections_max(self, _: CallbackOptions) -> Iterable[Observation]:
        if self._pool() is not None and self._pool_limit is not None:
            yield Observation(self._pool_limit)


class _PoolMetrics:
    def __init__(self, instruments: Instruments) -> None:
        self._instruments = instruments

    def obtained(self, seconds: float) -> None:
        self._instruments.pool_wait.record(seconds)


def _unobserved(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNOBSERVED


# The telemetry of the app whose request (or chat turn, or lifespan) this code runs for.
current: ContextVar[Telemetry | None] = ContextVar("telemetry", default=None)
