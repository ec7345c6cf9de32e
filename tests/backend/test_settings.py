"""Configuration: the production secret guard, the environment's names and the URLs people paste."""

import logging
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from backend.security import JwtSettings, TokenService
from backend.settings import Settings
from db.engine import normalize_url

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED_FALLBACK = "dev-only-insecure-jwt-secret-change-me-0123456789"


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("secret", [None, "", "short-secret"])
def test_production_refuses_a_missing_or_weak_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="refusing to start in production"):
        settings(environment="production", jwt={"secret": secret})


def test_production_accepts_a_strong_secret() -> None:
    assert settings(environment="production", jwt={"secret": "s" * 48}).environment == "production"


def test_production_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JWT_SECRET is not set"):
        Settings(_env_file=None)


def test_without_a_secret_tokens_are_signed_by_this_process_only(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="backend.security"):
        first, second = TokenService(JwtSettings(), 60), TokenService(JwtSettings(), 60)
    assert "INSECURE: JWT_SECRET is not set" in caplog.text
    token = first.issue(uuid.uuid4())
    # The fallback this service once published in its source signs nothing any more.
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, PUBLISHED_FALLBACK, algorithms=["HS256"])
    assert first.lifetime_s == 3600 == second.lifetime_s


async def test_without_a_secret_another_process_rejects_the_token() -> None:
    first, second = TokenService(JwtSettings(), 60), TokenService(JwtSettings(), 60)
    token = first.issue(uuid.uuid4())
    await first.verify(token)
    with pytest.raises(jwt.InvalidSignatureError):
        await second.verify(token)


def test_the_environment_names_map_to_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "DB_POOL_SIZE": "3",
        "DB_POOL_TIMEOUT_S": "4.5",
        "JWT_JWKS_ALGORITHMS": "RS256, ES384",
        "LLM_PROVIDER": "offline",
        "LLM_CASSETTE": "a.jsonl,b",
        "OPENAI_BASE_URL": "http://llm.local/v1",
        "AGENT_MAX_TURNS": "7",
        "CHAT_LEASE_S": "12",
        "HISTORY_MAX_ITEMS": "9",
        "CORS_ORIGINS": "https://a.example, https://b.example",
        "LOG_LEVEL": "debug",
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": "scrape",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_GENAI_CAPTURE_CONTENT": "true",
        "MCP_ALLOWED_HOSTS": "tasks.example, tasks.example:*",
        "RATE_LOGIN_PER_ADDRESS": "7/15m",
        "RATE_RUNNING_TURNS_PER_USER": "4",
        "SERVER_MAX_HEADER_BYTES": "8192",
        "AUDIT_RETENTION_DAYS": "30",
        "FORWARDED_ALLOW_IPS": "10.0.0.0/8, 172.28.0.10",
        "SHUTDOWN_GRACE_S": "15",
        "DOCS_ENABLED": "true",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    s = Settings(_env_file=None)
    assert (s.db.pool_size, s.db.pool_timeout_s, s.jwt.jwks_algorithms) == (3, 4.5, ["RS256", "ES384"])
    assert (s.llm.provider, s.llm.cassette, s.openai.base_url) == (
        "offline",
        ["a.jsonl", "b"],
        "http://llm.local/v1",
    )
    assert (s.agent.max_steps, s.chat.lease_s, s.history_max_items) == (7, 12.0, 9)
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert (s.log.level, s.log.format, s.metrics.token.get_secret_value()) == ("debug", "json", "scrape")
    assert (s.otel.exporter_otlp_endpoint, s.otel.genai_capture_content) == ("http://collector:4318", True)
    assert s.mcp.allowed_hosts == ["tasks.example", "tasks.example:*"]
    assert (s.rate.login_per_address.count, s.rate.login_per_address.period_s) == (7, 900)
    assert (s.rate.running_turns_per_user, s.server.max_header_bytes, s.audit.retention_days) == (4, 8192, 30)
    assert s.forwarded_allow_ips == ["10.0.0.0/8", "172.28.0.10"]
    assert (s.shutdown_grace_s, s.docs) == (15, True)


def test_defaults() -> None:
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///./todo.db"
    assert (s.db.pool_size, s.db.max_overflow, s.db.pool_recycle_s) == (20, 0, 3600)
    assert (s.jwt.algorithm, s.environment, s.agent.max_steps) == ("HS256", "development", 10)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://u:p@db.example/app", "postgresql+asyncpg://u:p@db.example/app"),
        ("postgres://u:p@db.example/app", "postgresql+asyncpg://u:p@db.example/app"),
        ("postgresql+asyncpg://u:p@db.example/app", "postgresql+asyncpg://u:p@db.example/app"),
        (
            "postgresql://u:p@ep-x.neon.tech/app?sslmode=require&channel_binding=require",
            "postgresql+asyncpg://u:p@ep-x.neon.tech/app?ssl=require",
        ),
        ("sqlite:///./todo.db", "sqlite+aiosqlite:///./todo.db"),
    ],
)
def test_database_urls_are_normalized(raw: str, expected: str) -> None:
    assert normalize_url(raw).render_as_string(hide_password=False) == expected


def test_env_example_lists_every_setting() -> None:
    example = (ROOT / ".env.example").read_text()
    listed = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    assert listed == set(Settings.variables())
    for name in listed:  # each with a comment right above it (or above its group)
        before = example[: example.index(f"\n{name}=")].rstrip().splitlines()
        assert any(line.startswith("#") for line in before[-4:]), name


def test_readme_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    configuration = readme[readme.index("## Configuration") :]
    missing = [name for name in Settings.variables() if f"`{name}`" not in configuration]
    assert missing == []


def test_forwarded_allow_ips_must_be_addresses_or_networks() -> None:
    with pytest.raises(ValidationError, match="does not appear to be an IPv4 or IPv6"):
        settings(forwarded_allow_ips=["nginx.internal"])


@pytest.mark.parametrize(
    ("environment", "enabled", "served"),
    [
        ("production", None, False),
        ("production", True, True),
        ("development", None, True),
        ("test", False, False),
    ],
)
def test_docs_are_off_in_production_unless_enabled(
    environment: str, enabled: bool | None, served: bool
) -> None:
    values = {"environment": environment, "docs_enabled": enabled, "jwt": {"secret": "s" * 48}}
    assert settings(**values).docs is served
