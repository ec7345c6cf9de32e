"""Configuration from the environment and `.env`: one Settings class, read by the entry points.

Settings are grouped by the layer that uses them, and each group is defined in that layer with
its defaults (`db.engine.PoolSettings`, `backend.security.JwtSettings`, `agent.config`...), so a
default is written once. The environment names stay flat: the first word of a variable names its
group (`DB_POOL_SIZE` is `db.pool_size`, `LLM_MODEL` is `llm.model`); variables without a group
(`DATABASE_URL`, `MAX_BODY_BYTES`, ...) are fields of their own.
"""

import ipaddress
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent.config import AgentSettings, ChatSettings, CommaSeparated
from agent.providers import LlmSettings, OpenAISettings
from backend.edge import ServerSettings
from backend.logs import LogSettings
from backend.mcp import McpSettings
from backend.ratelimit import RateSettings
from backend.security import JwtSettings, WeakSecretError
from backend.telemetry.settings import MetricsSettings, OtelSettings
from db.engine import DEFAULT_DATABASE_URL, PoolSettings
from tools.audit import AuditSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_nested_delimiter="_",
        env_nested_max_split=1,
    )

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = DEFAULT_DATABASE_URL
    # A direct (not pooled) connection for LISTEN/NOTIFY; default: DATABASE_URL.
    listen_database_url: str | None = None
    db: PoolSettings = PoolSettings()
    jwt: JwtSettings = JwtSettings()
    access_token_expire_minutes: int = Field(60, ge=1)
    cors_origins: CommaSeparated = Field(default_factory=list)
    log: LogSettings = LogSettings()
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1024)

    # The chat agent. No provider and no key: the built-in offline (rule-based) model.
    llm: LlmSettings = LlmSettings()
    openai: OpenAISettings = OpenAISettings()
    agent: AgentSettings = AgentSettings()
    chat: ChatSettings = ChatSettings()
    history_max_items: int = Field(50, ge=2)
    # On SIGTERM (a deploy): how long running turns may finish before they are stopped.
    shutdown_grace_s: float = Field(20.0, ge=0)

    # The other doors: MCP over the same tools, Prometheus metrics, OpenTelemetry traces.
    mcp: McpSettings = McpSettings()
    metrics: MetricsSettings = MetricsSettings()
    otel: OtelSettings = OtelSettings()

    # Abuse resistance: rate limits and caps, the HTTP edge, the audit trail's retention.
    rate: RateSettings = RateSettings()
    server: ServerSettings = ServerSettings()
    audit: AuditSettings = AuditSettings()
    # Proxies whose X-Forwarded-For names the client (addresses or networks; "*" trusts anyone).
    forwarded_allow_ips: CommaSeparated = Field(default_factory=list)
    # /docs, /redoc and /openapi.json: None means on, except in production.
    docs_enabled: bool | None = None

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses_or_networks(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            if entry != "*":
                ipaddress.ip_network(entry, strict=False)  # a typo fails at start, not by trusting nothing
        return entries

    @property
    def docs(self) -> bool:
        return self.docs_enabled if self.docs_enabled is not None else self.environment != "production"

    @model_validator(mode="after")
    def _check_secret(self) -> "Settings":
        problem = self.jwt.secret_problem()
        if problem and self.environment == "production":
            raise WeakSecretError(f"refusing to start in production: {problem}")
        return self

    @classmethod
    def variables(cls) -> list[str]:
        """Every environment variable read, by its name (`DB_POOL_SIZE`, ...)."""
        names = []
        for name, field in cls.model_fields.items():
            group = field.annotation
            if isinstance(group, type) and issubclass(group, BaseModel):
                names += [f"{name}_{_env_key(sub, f)}".upper() for sub, f in group.model_fields.items()]
            else:
                names.append(name.upper())
        return names


def _env_key(name: str, field: FieldInfo) -> str:
    alias = field.validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]  # the published name, where the field is called otherwise
    return name
