-- Version 5 (SQLite): JWT signing keys shared by all nodes, and refresh tokens (only their hashes) in families.

-- The private key is sealed (SecretBox, bound to the kid). generation is unique: two nodes rotating at once add one key.
CREATE TABLE signing_keys (
    kid TEXT NOT NULL PRIMARY KEY,
    generation INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    activates_at TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_signing_keys_generation ON signing_keys (generation);

-- A family is the app session the tokens were issued for; ending the session deletes them.
CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT NULL,
    successor TEXT NULL
);
CREATE UNIQUE INDEX ux_refresh_tokens_token_hash ON refresh_tokens (token_hash);
CREATE INDEX ix_refresh_tokens_session_id ON refresh_tokens (session_id);
