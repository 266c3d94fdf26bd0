-- Version 4 (SQLite): second factors (allauth's mfa_authenticator), recovery codes as hashes, trusted browsers.

-- One TOTP and one recovery-code set per user (as allauth's unique_authenticator_type); any number of
-- WebAuthn credentials, each credential id unique across all users.
CREATE TABLE authenticators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    credential_id TEXT NULL,
    counter INTEGER NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NULL
);
CREATE INDEX ix_authenticators_user_id ON authenticators (user_id);
CREATE UNIQUE INDEX ux_authenticators_user_type ON authenticators (user_id, type) WHERE type IN ('totp', 'recovery_codes');
CREATE UNIQUE INDEX ux_authenticators_credential_id ON authenticators (credential_id) WHERE credential_id IS NOT NULL;

-- Only the HMAC of each code; using one is a conditional UPDATE ... WHERE used_at IS NULL.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    authenticator_id INTEGER NOT NULL REFERENCES authenticators (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TEXT NULL
);
CREATE UNIQUE INDEX ux_recovery_codes_code ON recovery_codes (authenticator_id, code_hash);

-- "Trust this browser": the SHA-256 of the cookie's value, alive while auth_stamp equals the user's security stamp.
CREATE TABLE mfa_trusted_browsers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB NOT NULL,
    auth_stamp TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE UNIQUE INDEX ux_mfa_trusted_browsers_token_hash ON mfa_trusted_browsers (token_hash);
CREATE INDEX ix_mfa_trusted_browsers_user_id ON mfa_trusted_browsers (user_id);
