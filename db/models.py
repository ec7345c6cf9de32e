"""Table models. The schema itself is owned by the Alembic migrations in `db/migrations`."""

import enum
import uuid
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Column,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col

from db.limits import (
    CLIENT_ID_MAX,
    DESCRIPTION_MAX,
    EMAIL_MAX,
    ERROR_CODE_MAX,
    EVENT_TYPE_MAX,
    MODEL_NAME_MAX,
    NAME_MAX,
    RATE_KEY_MAX,
    REQUEST_ID_MAX,
    SUBJECT_MAX,
    TITLE_MAX,
    TOOL_NAME_MAX,
)
from db.types import JSONVariant, UTCDateTime, utcnow


class Priority(enum.StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class ActionStatus(enum.StrEnum):
    ok = "ok"
    error = "error"


class TurnStatus(enum.StrEnum):
    running = "running"
    completed = "completed"
    failed = "failed"
    stopped = "stopped"  # the user stopped it: what it did and wrote so far stays


class ActionSource(enum.StrEnum):
    rest = "rest"
    agent_api = "agent_api"
    chat = "chat"
    mcp = "mcp"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the values ("high"), not SQLAlchemy's default of member names.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


def _timestamp(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, **kw)


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_email_lower", func.lower(Column("email")), unique=True),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str | None = Field(default=None, sa_type=String(EMAIL_MAX))
    password_hash: str | None = Field(default=None, sa_type=String(255))
    name: str | None = Field(default=None, sa_type=String(NAME_MAX))
    # `sub` of a token from an external identity provider (JWKS); NULL for local accounts.
    external_subject: str | None = Field(default=None, sa_type=String(SUBJECT_MAX), unique=True)
    created_at: datetime = _timestamp()


class Task(SQLModel, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_created", "user_id", "created_at"),
        Index("ix_tasks_user_due", "user_id", "due_date"),
        Index("ix_tasks_user_completed", "user_id", "completed"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    title: str = Field(sa_type=String(TITLE_MAX), nullable=False)
    description: str | None = Field(default=None, sa_type=String(DESCRIPTION_MAX))
    priority: Priority = Field(
        default=Priority.medium, sa_type=_enum(Priority, "task_priority"), nullable=False
    )
    due_date: date | None = Field(default=None)
    completed: bool = Field(default=False, nullable=False)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Action(SQLModel, table=True):
    """One invocation of a task operation: the audit trail."""

    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_user_created", "user_id", "created_at"),
        Index("ix_actions_conversation", "conversation_id", "created_at"),
        Index("ix_actions_created", "created_at"),  # pruning by age
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    # Audit rows outlive the conversation they came from, so these are plain columns, not foreign keys.
    conversation_id: uuid.UUID | None = Field(default=None)
    message_id: uuid.UUID | None = Field(default=None)  # the chat turn's user message
    request_id: str | None = Field(default=None, sa_type=String(REQUEST_ID_MAX))
    tool: str = Field(sa_type=String(TOOL_NAME_MAX), nullable=False)
    arguments: dict[str, Any] = Field(default_factory=dict, sa_type=JSONVariant, nullable=False)
    status: ActionStatus = Field(sa_type=_enum(ActionStatus, "action_status"), nullable=False)
    result: Any | None = Field(default=None, sa_type=JSONVariant)
    error: str | None = Field(default=None, sa_type=Text)
    duration_ms: float = Field(nullable=False)
    source: ActionSource = Field(sa_type=_enum(ActionSource, "action_source"), nullable=False)
    created_at: datetime = _timestamp()


def _owner_fk(table: str) -> Any:
    return Field(sa_column=Column(Uuid, ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False))


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_user_updated", "user_id", "updated_at"),
        Index("uq_conversations_user_client_id", "user_id", "client_id", unique=True),
        # Running turns (an unexpired lease), counted per user and in total by the caps on them;
        # leases are cleared when a turn ends, so this index holds only the running few.
        Index(
            "ix_conversations_leased",
            "user_id",
            "lease_expires_at",
            postgresql_where=text("lease_expires_at IS NOT NULL"),
            sqlite_where=text("lease_expires_at IS NOT NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = _owner_fk("users")
    # A chat frontend's own id for the conversation (the AI SDK's chat id), unique per user.
    client_id: str | None = Field(default=None, sa_type=String(CLIENT_ID_MAX))
    title: str = Field(sa_type=String(TITLE_MAX), nullable=False)
    turn_count: int = Field(default=0, nullable=False)
    message_count: int = Field(default=0, nullable=False)
    input_tokens: int = Field(default=0, sa_type=BigInteger, nullable=False)
    output_tokens: int = Field(default=0, sa_type=BigInteger, nullable=False)
    total_tokens: int = Field(default=0, sa_type=BigInteger, nullable=False)
    # The running turn's lease: whoever holds an unexpired token may run a turn here.
    lease_token: uuid.UUID | None = Field(default=None)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    @staticmethod
    def owned(conversation_id: uuid.UUID, user_id: uuid.UUID) -> ColumnElement[bool]:
        """This conversation, if it belongs to this user: another user's is simply not found."""
        return (col(Conversation.id) == conversation_id) & (col(Conversation.user_id) == user_id)

    @staticmethod
    def lease_free(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
        """No turn holds the conversation: no lease, or one that expired (its instance died).
        `now` is a time, or a parameter for a statement built once."""
        expires = col(Conversation.lease_expires_at)
        return expires.is_(None) | (expires < now)


class ChatTurn(SQLModel, table=True):
    """One user message and what came of it; its id is the user message's id."""

    __tablename__ = "chat_turns"
    __table_args__ = (
        Index("uq_chat_turns_conversation_seq", "conversation_id", "seq", unique=True),
        Index("uq_chat_turns_user_client_message_id", "user_id", "client_message_id", unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    conversation_id: uuid.UUID = _owner_fk("conversations")
    user_id: uuid.UUID = Field(nullable=False)
    seq: int = Field(nullable=False)
    # The client's key for this message (Idempotency-Key): a repeat answers this turn again.
    client_message_id: str | None = Field(default=None, sa_type=String(CLIENT_ID_MAX))
    user_message: str = Field(sa_type=Text, nullable=False)
    assistant_message_id: uuid.UUID = Field(default_factory=uuid.uuid4, nullable=False)
    assistant_message: str | None = Field(default=None, sa_type=Text)
    status: TurnStatus = Field(
        default=TurnStatus.running, sa_type=_enum(TurnStatus, "turn_status"), nullable=False
    )
    error_code: str | None = Field(default=None, sa_type=String(ERROR_CODE_MAX))
    error_message: str | None = Field(default=None, sa_type=Text)
    model: str | None = Field(default=None, sa_type=String(MODEL_NAME_MAX))
    input_tokens: int = Field(default=0, nullable=False)
    output_tokens: int = Field(default=0, nullable=False)
    total_tokens: int = Field(default=0, nullable=False)
    created_at: datetime = _timestamp()
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set by a stop request, on whichever instance it arrives; the turn's instance acts on it.
    stop_requested_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationItem(SQLModel, table=True):
    """One item of model history, in the Agents SDK's own (Responses input) format."""

    __tablename__ = "conversation_items"
    __table_args__ = (Index("ix_conversation_items_conversation_id", "conversation_id", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), Identity(), primary_key=True),
    )
    conversation_id: uuid.UUID = _owner_fk("conversations")
    turn_id: uuid.UUID = _owner_fk("chat_turns")
    item: dict[str, Any] = Field(sa_type=JSONVariant, nullable=False)
    created_at: datetime = _timestamp()


class StoredEvent(SQLModel, table=True):
    """One event of a turn's stream, as sent: kept while the turn runs (and a while after) so a
    client can resume the stream on any instance."""

    __tablename__ = "chat_events"
    __table_args__ = (Index("ix_chat_events_created", "created_at"),)

    conversation_id: uuid.UUID = Field(
        sa_column=Column(
            Uuid, ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False, nullable=False))
    turn_id: uuid.UUID = _owner_fk("chat_turns")
    type: str = Field(sa_type=String(EVENT_TYPE_MAX), nullable=False)
    data: dict[str, Any] = Field(sa_type=JSONVariant, nullable=False)
    created_at: datetime = _timestamp()


class RateLimit(SQLModel, table=True):
    """The state of one rate limit (GCRA): the theoretical arrival time of its next request.
    On PostgreSQL an unlogged table (migration 0005): state safe to lose in a crash, written
    without waiting for the disk."""

    __tablename__ = "rate_limits"

    key: str = Field(sa_type=String(RATE_KEY_MAX), primary_key=True)
    tat: datetime = Field(sa_type=UTCDateTime, nullable=False)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table: for writes of plain rows, which skip the ORM's per-row work."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]
