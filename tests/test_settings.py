"""Configuration: the production secret guard and the database URLs people actually paste."""

import logging

import pytest
from pydantic import ValidationError

from backend.security import TokenService
from backend.settings import DEV_JWT_SECRET, Settings
from db.engine import normalize_url


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.mark.parametrize("secret", [None, "", "short-secret", DEV_JWT_SECRET])
def test_production_refuses_a_missing_or_weak_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="refusing to start in production"):
        settings(environment="production", jwt_secret=secret)


def test_production_accepts_a_strong_secret() -> None:
    assert settings(environment="production", jwt_secret="s" * 48).environment == "production"


def test_production_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)


def test_development_warns_loudly_but_starts(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="backend.settings"):
        tokens = TokenService(settings(environment="development"))
    assert tokens.lifetime_s == 3600
    assert "INSECURE: JWT_SECRET is not set" in caplog.text


def test_lists_come_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    assert Settings(_env_file=None).cors_origins == ["https://a.example", "https://b.example"]


def test_defaults() -> None:
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///./todo.db"
    assert (s.db_pool_size, s.db_max_overflow, s.db_pool_recycle_s) == (20, 10, 3600)
    assert (s.jwt_algorithm, s.environment) == ("HS256", "development")


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
    from pathlib import Path

    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text()
    listed = {line.split("=", 1)[0] for line in example.splitlines() if line and not line.startswith("#")}
    assert listed == {name.upper() for name in Settings.model_fields}
    for name in listed:  # each with a comment right above it (or above its group)
        before = example[: example.index(f"\n{name}=")].rstrip().splitlines()
        assert any(line.startswith("#") for line in before[-4:]), name
