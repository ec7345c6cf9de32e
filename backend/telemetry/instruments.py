"""Every metric the service records beyond FastAPI's own HTTP metrics, named in one place.

Names follow OpenTelemetry (the GenAI and database client conventions where they exist); the
Prometheus exposition turns `chat.turn.duration` in seconds into `chat_turn_duration_seconds`.
"""

from dataclasses import dataclass

from opentelemetry.metrics import Counter, Histogram, Meter, UpDownCounter

SCOPE = "todo-chat-agent"
# Chat turns run for seconds to minutes; first tokens come in well under one, or not at all.
TURN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0)
FIRST_TOKEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
# The GenAI conventions' advised boundaries.
MODEL_CALL_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TOKEN_BUCKETS = tuple(float(4**n) for n in range(14))  # 1 .. 67M
# A free connection comes in well under a millisecond; a new one in a few; a queue takes longer.
POOL_WAIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5, 10, 30)
# The codes of the error bodies that say "not now" rather than "not so" (see backend.errors).
REJECTIONS = ("rate_limited", "conversation_busy", "overloaded", "shutting_down")


@dataclass(frozen=True)
class Instruments:
    turns: Counter  # by `outcome`: completed, or the failed turn's code
    turn_duration: Histogram  # from the request to the turn's last event, as its client saw it
    first_token: Histogram  # from the request to the first reply text
    open_streams: UpDownCounter  # event streams being sent, by `http.route`
    tool_invocations: Counter  # audit rows, by `tool`, `source` (rest, agent_api, chat, mcp), `status`
    rejections: Counter  # requests turned away before any work, by `reason`
    model_duration: Histogram  # gen_ai.client.operation.duration
    model_tokens: Histogram  # gen_ai.client.token.usage, by `gen_ai.token.type`
    pool_wait: Histogram  # db.client.connection.wait_time: how long getting a connection took

    @classmethod
    def on(cls, meter: Meter) -> "Instruments":
        instruments = cls._create(meter)
        for reason in REJECTIONS:  # a series from the start, so the first refusal shows in a rate()
            instruments.rejections.add(0, {"reason": reason})
        return instruments

    @classmethod
    def _create(cls, meter: Meter) -> "Instruments":
        return cls(
            turns=meter.create_counter("chat.turns", "{turn}", "Chat turns finished, by outcome."),
            turn_duration=meter.create_histogram(
                "chat.turn.duration",
                "s",
                "From the chat request to the turn's last event.",
                explicit_bucket_boundaries_advisory=TURN_BUCKETS,
            ),
            first_token=meter.create_histogram(
                "chat.turn.time_to_first_token",
                "s",
                "From the chat request to the first text of the reply.",
                explicit_bucket_boundaries_advisory=FIRST_TOKEN_BUCKETS,
            ),
            open_streams=meter.create_up_down_counter(
                "http.server.open_streams", "{stream}", "Server-Sent Event streams being sent."
            ),
            tool_invocations=meter.create_counter(
                "tool.invocations",
                "{invocation}",
                "Task operations run (audit rows) by tool, source, status.",
            ),
            rejections=meter.create_counter(
                "http.server.rejections", "{request}", "Requests refused before any work, by reason."
            ),
            model_duration=meter.create_histogram(
                "gen_ai.client.operation.duration",
                "s",
                "GenAI operation duration.",
                explicit_bucket_boundaries_advisory=MODEL_CALL_BUCKETS,
            ),
            model_tokens=meter.create_histogram(
                "gen_ai.client.token.usage",
                "{token}",
                "Measures number of input and output tokens used.",
                explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
            ),
            pool_wait=meter.create_histogram(
                "db.client.connection.wait_time",
                "s",
                "The time it took to obtain an open connection from the pool.",
                explicit_bucket_boundaries_advisory=POOL_WAIT_BUCKETS,
            ),
        )
