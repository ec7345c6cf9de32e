"""Metrics (Prometheus, `GET /metrics`) and traces (OTLP, with the GenAI conventions).

`providers` holds an app's OpenTelemetry providers; FastAPI records its HTTP metrics and spans
into them, and the rest of the package feeds them from the places where the work is seen:
`middleware` (the HTTP exchange: chat latency, streams, rejections), `observers` (finished turns,
audit rows), `genai` (the Agents SDK's spans: model calls and tool calls).
"""
