-- Per-address cooldown of notice mails ("an account already exists", "no account with this address"),
-- in the database so it holds across nodes. The key is a SHA-256 of the kind and the address, never an
-- address in clear; until_ms is unix time in milliseconds.
CREATE TABLE mail_cooldowns (
    key TEXT PRIMARY KEY,
    until_ms INTEGER NOT NULL
);
