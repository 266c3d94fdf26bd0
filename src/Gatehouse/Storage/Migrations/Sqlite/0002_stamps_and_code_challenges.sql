-- Version 2 (SQLite): the security stamp that closes the races between a password change/reset and
-- logins in flight, and the code challenges whose attempt counter must be atomic.

-- A random value replaced whenever the password changes (or all sessions must end). A session records the
-- stamp its login saw; the session check compares them, so a login that verified the old password but
-- committed after the reset is dead on arrival. '' for rows made before this version: they keep working.
ALTER TABLE users ADD COLUMN security_stamp TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN auth_stamp TEXT NOT NULL DEFAULT '';

-- A mailed code (login, email verification, password reset) waiting to be typed. The pending flow in the
-- session refers to it by its random key; attempts are counted here with one conditional UPDATE each, so
-- parallel guesses cannot overwrite each other's count (the session's JSON state is last-write-wins).
CREATE TABLE code_challenges (
    key TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    code_hash TEXT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    consumed_at TEXT NULL
);
CREATE INDEX ix_code_challenges_expires_at ON code_challenges (expires_at);
