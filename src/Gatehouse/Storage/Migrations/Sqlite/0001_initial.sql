-- Gatehouse schema, version 1 (SQLite). Timestamps are UTC text as EF Core writes them.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NULL,
    username_normalized TEXT NULL,
    password_hash TEXT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    is_staff INTEGER NOT NULL DEFAULT 0,
    date_joined TEXT NOT NULL,
    last_login TEXT NULL
);
CREATE UNIQUE INDEX ux_users_username_normalized ON users (username_normalized);

CREATE TABLE email_addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    email_normalized TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    is_primary INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_confirmation_sent_at TEXT NULL
);
CREATE UNIQUE INDEX ux_email_addresses_email_normalized ON email_addresses (email_normalized);
CREATE INDEX ix_email_addresses_user_id ON email_addresses (user_id);
CREATE UNIQUE INDEX ux_email_addresses_one_primary ON email_addresses (user_id) WHERE is_primary = 1;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash BLOB NOT NULL,
    client TEXT NOT NULL,
    user_id INTEGER NULL REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_sessions_token_hash ON sessions (token_hash);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);

CREATE TABLE verification_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    consumed_at TEXT NULL
);
CREATE UNIQUE INDEX ux_verification_keys_key_hash ON verification_keys (key_hash);
CREATE INDEX ix_verification_keys_user_id ON verification_keys (user_id);

CREATE TABLE outbox_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NULL,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    sent_at TEXT NULL,
    locked_until TEXT NULL,
    failed_at TEXT NULL,
    last_error TEXT NULL
);
CREATE INDEX ix_outbox_messages_due ON outbox_messages (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    occurred_at TEXT NOT NULL,
    event_type TEXT NOT NULL,
    user_id INTEGER NULL,
    ip TEXT NULL,
    user_agent TEXT NULL,
    data TEXT NULL
);
CREATE INDEX ix_audit_events_user_id ON audit_events (user_id, occurred_at);

-- Fixed-window counters; the key holds a SHA-256 of the limited value, never an email or IP in clear.
CREATE TABLE rate_limit_counters (
    key TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
);
