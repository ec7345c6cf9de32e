"""Configuration from the environment and `.env` (one Settings class, read by the entry points)."""

import logging
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from db.engine import PoolSettings

log = logging.getLogger(__name__)

# Known so the service can refuse it in production; long enough that PyJWT does not warn in development.
DEV_JWT_SECRET = "dev-only-insecure-jwt-secret-change-me-0123456789"  # noqa: S105 (public on purpose)
MIN_SECRET_BYTES = 32


class WeakSecretError(ValueError):
    pass


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./todo.db"
    db_pool_size: int = Field(20, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    db_pool_recycle_s: int = Field(3600, ge=-1)
    db_pool_timeout_s: float = Field(30.0, gt=0)
    db_pool_pre_ping: bool = True

    jwt_secret: SecretStr | None = None
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_expire_minutes: int = Field(60, ge=1)
    # Optional: also accept RS256/ES256 tokens of an external identity provider (Better Auth, Auth0, ...).
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_algorithms: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["RS256", "ES256"])

    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)

    # The chat agent. No provider and no key: the built-in offline (rule-based) model.
    llm_provider: Literal["openai", "offline", "replay"] | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str | None = None
    llm_api: Literal["responses", "chat_completions"] = "responses"
    llm_timeout_s: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(2, ge=0)
    agent_max_turns: int = Field(10, ge=1)
    agent_tracing: bool = False
    history_max_items: int = Field(50, ge=2)
    chat_lease_s: float = Field(60.0, gt=0)
    chat_turn_timeout_s: float = Field(300.0, gt=0)
    # Record every model exchange into per-conversation cassettes in this directory.
    llm_record_dir: str | None = None
    # LLM_PROVIDER=replay: cassette files or directories (comma-separated), and how strictly to replay.
    llm_cassette: Annotated[list[str], NoDecode] = Field(default_factory=list)
    llm_replay_mode: Literal["strict", "sequential"] = "strict"

    @field_validator("cors_origins", "jwt_jwks_algorithms", "llm_cassette", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):  # "https://a.example,https://b.example"
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @model_validator(mode="after")
    def _check_secret(self) -> "Settings":
        problem = self._secret_problem()
        if problem and self.environment == "production":
            raise WeakSecretError(f"refusing to start in production: {problem}")
        return self

    def _secret_problem(self) -> str | None:
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
        if not secret:
            return "JWT_SECRET is not set"
        if secret == DEV_JWT_SECRET:
            return "JWT_SECRET is the published development default"
        if len(secret.encode()) < MIN_SECRET_BYTES:
            return f"JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes"
        return None

    def signing_secret(self) -> str:
        """The secret tokens are signed with; in development a missing one falls back, loudly."""
        problem = self._secret_problem()
        if problem:
            log.warning(
                "\n%s\n  INSECURE: %s. Tokens can be forged by anyone who reads this code.\n"
                "  Set JWT_SECRET (e.g. `openssl rand -hex 32`) before exposing this service.\n%s",
                "!" * 78,
                problem,
                "!" * 78,
            )
        return self.jwt_secret.get_secret_value() if self.jwt_secret else DEV_JWT_SECRET

    @property
    def provider(self) -> Literal["openai", "offline", "replay"]:
        if self.llm_provider:
            return self.llm_provider
        return "openai" if self.openai_api_key else "offline"

    @property
    def pool(self) -> PoolSettings:
        return PoolSettings(
            size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            recycle_s=self.db_pool_recycle_s,
            timeout_s=self.db_pool_timeout_s,
            pre_ping=self.db_pool_pre_ping,
        )
