"""start_turn(): a chat turn's start in one round trip on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Starting a turn is what the chat's first byte waits for. Through the driver it was seven round
trips after the rate check (BEGIN, the user's advisory lock, the running-turns count, the
conversation, the turn, its item, COMMIT), each half a millisecond on a busy loop: 3 of the first
byte's 6 ms, measured. This function does the same in one statement, so one round trip and an
implicit transaction. `agent.turns.start_turn` calls it on PostgreSQL (SQLite runs the same steps
from Python); the tests hold both to one contract.

It answers an outcome instead of raising, so that a refusal writes nothing and needs no error
mapping: `started`, `running-turns` / `running-turns-total` (a cap is reached), `busy` (another
turn holds the conversation's lease), `not-found` (no such conversation of this user),
`unknown-user` (the user row is gone), `duplicate-key` (a turn under this idempotency key exists).
The counts run after the user's advisory lock is held: in PL/pgSQL each statement takes a new
snapshot, so it sees what the lock's previous holder committed, and the per-user cap holds
exactly for simultaneous messages; the total cap takes no lock (it would serialise every turn
start of the service), so a burst of simultaneous starts may pass it by their number. The
idempotency key is checked under the same lock, and every
turn start goes through it, so the unique index is never what refuses a repeat.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

START_TURN = """
CREATE FUNCTION start_turn(
    p_user_id uuid,
    p_conversation_id uuid,      -- null: a new conversation (or the one of p_client_id)
    p_client_id varchar,
    p_new_conversation_id uuid,  -- the id a new conversation gets
    p_title varchar,
    p_turn_id uuid,
    p_assistant_message_id uuid,
    p_message text,
    p_client_message_id varchar,
    p_items jsonb,               -- the user's message as history items (a JSON array)
    p_lease_token uuid,
    p_now timestamptz,
    p_expires timestamptz,
    p_history_limit integer,     -- null: the whole history
    p_lock_scope integer,
    p_lock_key integer,
    p_per_user integer,
    p_total integer              -- 0: no total cap
) RETURNS TABLE (outcome text, conversation_id uuid, seq integer, history text)
LANGUAGE plpgsql AS $$
DECLARE
    v_conversation uuid := p_conversation_id;
    v_seq integer;
    v_stale uuid;
    v_history text := '[]';
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_scope, p_lock_key);
    IF p_client_message_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM chat_turns t WHERE t.user_id = p_user_id AND t.client_message_id = p_client_message_id
    ) THEN
        RETURN QUERY SELECT 'duplicate-key', NULL::uuid, NULL::integer, NULL::text;
        RETURN;
    END IF;
    IF (SELECT count(*) FROM conversations c
        WHERE c.user_id = p_user_id AND c.lease_expires_at >= p_now) >= p_per_user THEN
        RETURN QUERY SELECT 'running-turns', NULL::uuid, NULL::integer, NULL::text;
        RETURN;
    END IF;
    IF p_total > 0
       AND (SELECT count(*) FROM conversations c WHERE c.lease_expires_at >= p_now) >= p_total THEN
        RETURN QUERY SELECT 'running-turns-total', NULL::uuid, NULL::integer, NULL::text;
        RETURN;
    END IF;

    IF v_conversation IS NULL AND p_client_id IS NOT NULL THEN
        SELECT c.id INTO v_conversation FROM conversations c
        WHERE c.user_id = p_user_id AND c.client_id = p_client_id;
    END IF;

    IF v_conversation IS NULL THEN
        v_conversation := p_new_conversation_id;
        v_seq := 1;
        BEGIN
            INSERT INTO conversations (id, user_id, client_id, title, turn_count, message_count,
                input_tokens, output_tokens, total_tokens, lease_token, lease_expires_at,
                created_at, updated_at)
            VALUES (v_conversation, p_user_id, p_client_id, p_title, 1, 1, 0, 0, 0,
                p_lease_token, p_expires, p_now, p_now);
        EXCEPTION WHEN foreign_key_violation THEN
            RETURN QUERY SELECT 'unknown-user', NULL::uuid, NULL::integer, NULL::text;
            RETURN;
        END;
    ELSE
        -- The lease, and whether a turn still says running (its instance died holding it).
        UPDATE conversations c
        SET lease_token = p_lease_token, lease_expires_at = p_expires,
            turn_count = c.turn_count + 1, message_count = c.message_count + 1, updated_at = p_now
        WHERE c.id = v_conversation AND c.user_id = p_user_id
          AND (c.lease_expires_at IS NULL OR c.lease_expires_at < p_now)
        RETURNING c.turn_count,
            (SELECT t.id FROM chat_turns t
             WHERE t.conversation_id = v_conversation AND t.status = 'running' LIMIT 1)
        INTO v_seq, v_stale;
        IF v_seq IS NULL THEN
            IF EXISTS (SELECT 1 FROM conversations c
                       WHERE c.id = v_conversation AND c.user_id = p_user_id) THEN
                RETURN QUERY SELECT 'busy', NULL::uuid, NULL::integer, NULL::text;
            ELSE
                RETURN QUERY SELECT 'not-found', NULL::uuid, NULL::integer, NULL::text;
            END IF;
            RETURN;
        END IF;
        IF v_stale IS NOT NULL THEN
            UPDATE chat_turns t
            SET status = 'failed', error_code = 'interrupted',
                error_message = 'the server handling this turn stopped', completed_at = p_now
            WHERE t.conversation_id = v_conversation AND t.status = 'running';
        END IF;
        -- The newest items before this turn's, oldest first, as one JSON text.
        SELECT coalesce(jsonb_agg(h.item ORDER BY h.id), '[]'::jsonb)::text INTO v_history
        FROM (SELECT i.id, i.item FROM conversation_items i
              WHERE i.conversation_id = v_conversation
              ORDER BY i.id DESC LIMIT p_history_limit) h;
    END IF;

    INSERT INTO chat_turns (id, conversation_id, user_id, seq, user_message, client_message_id,
        assistant_message_id, status, input_tokens, output_tokens, total_tokens, created_at)
    VALUES (p_turn_id, v_conversation, p_user_id, v_seq, p_message, p_client_message_id,
        p_assistant_message_id, 'running', 0, 0, 0, p_now);
    INSERT INTO conversation_items (conversation_id, turn_id, item, created_at)
    SELECT v_conversation, p_turn_id, e.item, p_now
    FROM jsonb_array_elements(p_items) WITH ORDINALITY AS e(item, n) ORDER BY e.n;

    RETURN QUERY SELECT 'started', v_conversation, v_seq, v_history;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(START_TURN)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION start_turn")
