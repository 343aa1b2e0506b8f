"""The schema's migrations, one list per dialect, step for step the same tables and columns.

Where the dialects differ: ids (``INTEGER PRIMARY KEY`` vs an identity column), bytes (``BLOB`` vs
``BYTEA``), floats (SQLite's ``REAL`` is 8 bytes, PostgreSQL's ``DOUBLE PRECISION``), the audit
log's append-only triggers (a ``RAISE`` in SQLite, a plpgsql function in PostgreSQL, which also
refuses ``TRUNCATE``), and the order of text: PostgreSQL's sorted columns use the ``"C"`` collation,
so that camera ids and ISO times sort byte-wise as in SQLite whatever the server's locale.

SQLite keeps the version in ``PRAGMA user_version``, PostgreSQL in the one-row table
``schema_version``. A migration is only ever appended, to both lists at once. Most are SQL text; one
that converts rows is a function of the open transaction, the same for both dialects
(:func:`fov_monitor.db.reasons.reasons_as_lists`).
"""

from __future__ import annotations

from collections.abc import Callable

from fov_monitor.db.connection import Transaction
from fov_monitor.db.location import Dialect
from fov_monitor.db.reasons import reasons_as_lists

Migration = str | Callable[[Transaction], None]
"""One step of the schema: SQL text, or a function that runs its statements in the transaction."""

SQLITE_MIGRATIONS: tuple[Migration, ...] = (
    """
    CREATE TABLE results (
        id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        outside_fraction REAL,
        shift_fraction REAL,
        confidence REAL,
        reference_label TEXT,
        source TEXT NOT NULL,
        evidence_path TEXT,
        result_json TEXT NOT NULL
    );
    CREATE INDEX results_by_camera ON results (camera_id, checked_at);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        camera_id TEXT,
        detail_json TEXT NOT NULL
    );
    CREATE INDEX audit_by_camera ON audit (camera_id, at);
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: each result keeps its frame's fingerprint, so the next check can tell a frozen feed.
    """
    ALTER TABLE results ADD COLUMN fingerprint BLOB;
    """,
    # 3: scan runs. Each camera's outcome in a run is one row, unique per (run, camera), written in the
    # same transaction as its result: a scan killed at any moment resumes without duplicates.
    """
    CREATE TABLE scan_runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        actor TEXT NOT NULL,
        selection_json TEXT NOT NULL
    );
    ALTER TABLE results ADD COLUMN run_id INTEGER REFERENCES scan_runs (id);
    CREATE TABLE scan_outcomes (
        run_id INTEGER NOT NULL REFERENCES scan_runs (id),
        camera_id TEXT NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        rechecked INTEGER NOT NULL,
        result_id INTEGER REFERENCES results (id),
        UNIQUE (run_id, camera_id)
    );
    """,
    # 4: alerts (one active per camera and problem), their events (opened, updated, closed and every
    # review action), and the outbox of deliveries written in the same transaction as their event.
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        camera_id TEXT NOT NULL,
        camera_group TEXT NOT NULL,
        problem TEXT NOT NULL,
        state TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        closed_at TEXT,
        occurrences INTEGER NOT NULL,
        summary TEXT NOT NULL,
        first_result_id INTEGER REFERENCES results (id),
        last_result_id INTEGER REFERENCES results (id),
        last_run_id INTEGER REFERENCES scan_runs (id),
        evidence_path TEXT
    );
    CREATE UNIQUE INDEX alerts_one_active ON alerts (camera_id, problem) WHERE closed_at IS NULL;
    CREATE INDEX alerts_by_state ON alerts (state, updated_at);
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        note TEXT NOT NULL,
        detail_json TEXT NOT NULL
    );
    CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER NOT NULL REFERENCES alerts (id),
        event_id INTEGER NOT NULL REFERENCES alert_events (id),
        channel TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        payload_json TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
    """,
    # 5: the web app's users (argon2 password hashes, one role each, disabled rather than deleted, so
    # the audit log's names keep meaning someone) and sessions (the token's SHA-256, never the token).
    """
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_name TEXT NOT NULL REFERENCES users (name),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        csrf_token TEXT NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_name);
    """,
    # 6: sign-in throttling and idle sessions. One row per account name (as typed: unknown names are
    # throttled alike, so a lock tells nothing about who exists) and per client address: failures in
    # the current window, when the window and the last failure were, the lock's end and how many locks
    # in a row (the back-off doubles with each), and the attempts the lock refused (only the first is
    # audited, so that nobody can flood the audit log). Sessions remember when they were last used.
    """
    CREATE TABLE signin_throttle (
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        failures INTEGER NOT NULL,
        window_started_at TEXT NOT NULL,
        last_failure_at TEXT NOT NULL,
        locked_until TEXT,
        lockouts INTEGER NOT NULL,
        refused_while_locked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, subject)
    );
    CREATE INDEX signin_throttle_by_last_failure ON signin_throttle (last_failure_at);
    ALTER TABLE sessions ADD COLUMN last_seen_at TEXT;
    UPDATE sessions SET last_seen_at = created_at;
    """,
    # 7: reasons as a JSON array per result and per scan outcome (results.reasons_json,
    # scan_outcomes.reasons_json) instead of text joined with "; " (results.summary, scan_outcomes.reason).
    reasons_as_lists,
    # 8: the language a user chose for the web app's pages ('en', 'sv'); NULL: none chosen, so the
    # browser's Accept-Language, else the organisation's, decides.
    """
    ALTER TABLE users ADD COLUMN language TEXT;
    """,
)

POSTGRES_MIGRATIONS: tuple[Migration, ...] = (
    """
    CREATE TABLE results (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        camera_id TEXT COLLATE "C" NOT NULL,
        checked_at TEXT COLLATE "C" NOT NULL,
        status TEXT NOT NULL,
        summary TEXT NOT NULL,
        outside_fraction DOUBLE PRECISION,
        shift_fraction DOUBLE PRECISION,
        confidence DOUBLE PRECISION,
        reference_label TEXT,
        source TEXT NOT NULL,
        evidence_path TEXT,
        result_json TEXT NOT NULL
    );
    CREATE INDEX results_by_camera ON results (camera_id, checked_at);
    CREATE TABLE audit (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at TEXT COLLATE "C" NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        camera_id TEXT COLLATE "C",
        detail_json TEXT NOT NULL
    );
    CREATE INDEX audit_by_camera ON audit (camera_id, at);
    CREATE FUNCTION audit_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END
    $$;
    CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
    CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
        FOR EACH ROW EXECUTE FUNCTION audit_is_append_only();
    CREATE TRIGGER audit_is_append_only_truncate BEFORE TRUNCATE ON audit
        FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();
    """,
    # 2: each result keeps its frame's fingerprint, so the next check can tell a frozen feed.
    """
    ALTER TABLE results ADD COLUMN fingerprint BYTEA;
    """,
    # 3: scan runs (see the SQLite migration 3).
    """
    CREATE TABLE scan_runs (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        started_at TEXT COLLATE "C" NOT NULL,
        finished_at TEXT,
        actor TEXT NOT NULL,
        selection_json TEXT NOT NULL
    );
    ALTER TABLE results ADD COLUMN run_id BIGINT REFERENCES scan_runs (id);
    CREATE TABLE scan_outcomes (
        run_id BIGINT NOT NULL REFERENCES scan_runs (id),
        camera_id TEXT COLLATE "C" NOT NULL,
        at TEXT COLLATE "C" NOT NULL,
        outcome TEXT NOT NULL,
        reason TEXT NOT NULL,
        rechecked INTEGER NOT NULL,
        result_id BIGINT REFERENCES results (id),
        UNIQUE (run_id, camera_id)
    );
    """,
    # 4: alerts, their events and the outbox (see the SQLite migration 4).
    """
    CREATE TABLE alerts (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        camera_id TEXT COLLATE "C" NOT NULL,
        camera_group TEXT NOT NULL,
        problem TEXT NOT NULL,
        state TEXT NOT NULL,
        opened_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        closed_at TEXT COLLATE "C",
        occurrences INTEGER NOT NULL,
        summary TEXT NOT NULL,
        first_result_id BIGINT REFERENCES results (id),
        last_result_id BIGINT REFERENCES results (id),
        last_run_id BIGINT REFERENCES scan_runs (id),
        evidence_path TEXT
    );
    CREATE UNIQUE INDEX alerts_one_active ON alerts (camera_id, problem) WHERE closed_at IS NULL;
    CREATE INDEX alerts_by_state ON alerts (state, updated_at);
    CREATE TABLE alert_events (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        alert_id BIGINT NOT NULL REFERENCES alerts (id),
        at TEXT COLLATE "C" NOT NULL,
        actor TEXT NOT NULL,
        event TEXT NOT NULL,
        note TEXT NOT NULL,
        detail_json TEXT NOT NULL
    );
    CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id);
    CREATE TABLE deliveries (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        alert_id BIGINT NOT NULL REFERENCES alerts (id),
        event_id BIGINT NOT NULL REFERENCES alert_events (id),
        channel TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        payload_json TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at TEXT COLLATE "C" NOT NULL,
        last_error TEXT,
        created_at TEXT COLLATE "C" NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
    """,
    # 5: the web app's users and sessions (see the SQLite migration 5).
    """
    CREATE TABLE users (
        name TEXT COLLATE "C" PRIMARY KEY,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        user_name TEXT COLLATE "C" NOT NULL REFERENCES users (name),
        created_at TEXT COLLATE "C" NOT NULL,
        expires_at TEXT COLLATE "C" NOT NULL,
        csrf_token TEXT NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user_name);
    """,
    # 6: sign-in throttling and idle sessions (see the SQLite migration 6).
    """
    CREATE TABLE signin_throttle (
        kind TEXT COLLATE "C" NOT NULL,
        subject TEXT COLLATE "C" NOT NULL,
        failures INTEGER NOT NULL,
        window_started_at TEXT COLLATE "C" NOT NULL,
        last_failure_at TEXT COLLATE "C" NOT NULL,
        locked_until TEXT COLLATE "C",
        lockouts INTEGER NOT NULL,
        refused_while_locked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, subject)
    );
    CREATE INDEX signin_throttle_by_last_failure ON signin_throttle (last_failure_at);
    ALTER TABLE sessions ADD COLUMN last_seen_at TEXT COLLATE "C";
    UPDATE sessions SET last_seen_at = created_at;
    """,
    # 7: reasons as JSON arrays (see the SQLite migration 7).
    reasons_as_lists,
    # 8: the language a user chose for the pages (see the SQLite migration 8).
    """
    ALTER TABLE users ADD COLUMN language TEXT;
    """,
)

MIGRATIONS: dict[Dialect, tuple[Migration, ...]] = {
    Dialect.SQLITE: SQLITE_MIGRATIONS,
    Dialect.POSTGRESQL: POSTGRES_MIGRATIONS,
}
SCHEMA_VERSION = len(SQLITE_MIGRATIONS)


def sqlite_statements(migration: str) -> list[str]:
    """Split a SQLite migration into statements (``sqlite3`` runs one per call inside a transaction)."""
    return [statement for statement in migration.split(";\n") if statement.strip()]
