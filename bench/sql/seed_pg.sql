-- Bulk seed for bench/run.sh scenario 7 (PostgreSQL): :users users (user<i>@bench.test, verified,
-- primary, password hash :'hash') and :sessions app sessions whose token i is
-- 'app' || lpad(i, 29, '0') (32 characters, what bench/lua/session_app.lua sends), stored as
-- sha256(UTF-8 of the token) exactly like Gatehouse.Security.Secrets.Sha256; session i belongs to
-- user ((i - 1) % users) + 1.
--
-- Fast path: one transaction that TRUNCATEs first (with wal_level=minimal the new rows skip the WAL),
-- FK triggers off (session_replication_role = replica; the data is consistent by construction), the
-- secondary indexes dropped and rebuilt after the load (definitions as in
-- src/Gatehouse/Storage/Migrations/Postgres/0001_initial.sql), then ANALYZE.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL session_replication_role = replica;
SET LOCAL maintenance_work_mem = '1GB';
SET LOCAL work_mem = '256MB';
-- CASCADE: every table that references users or sessions (authenticators, refresh tokens, trust links...) goes
-- too, so a table added by a later migration cannot break the seed again.
TRUNCATE users, email_addresses, sessions, verification_keys, outbox_messages, audit_events, rate_limit_counters CASCADE;

DROP INDEX ux_users_username_normalized, ux_email_addresses_email_normalized, ix_email_addresses_user_id,
           ux_email_addresses_one_primary, ux_sessions_token_hash, ix_sessions_user_id, ix_sessions_expires_at;

INSERT INTO users (id, username, username_normalized, password_hash, is_active, is_staff, date_joined)
SELECT i, NULL, NULL, :'hash', TRUE, FALSE, TIMESTAMPTZ '2025-01-01 00:00:00+00'
FROM generate_series(1, :users) AS i;

INSERT INTO email_addresses (id, user_id, email, email_normalized, verified, is_primary, created_at)
SELECT i, i, 'user' || i || '@bench.test', 'user' || i || '@bench.test', TRUE, TRUE, TIMESTAMPTZ '2025-01-01 00:00:00+00'
FROM generate_series(1, :users) AS i;

INSERT INTO sessions (id, token_hash, client, user_id, state, created_at, last_seen_at, expires_at, ip, user_agent)
SELECT i, sha256(convert_to('app' || lpad(i::text, 29, '0'), 'UTF8')), 'app', ((i - 1) % :users) + 1, NULL,
       TIMESTAMPTZ '2025-01-01 00:00:00+00', now(), TIMESTAMPTZ '2099-01-01 00:00:00+00',
       '127.0.0.1', 'bench'
FROM generate_series(1, :sessions) AS i;

CREATE UNIQUE INDEX ux_users_username_normalized ON users (username_normalized);
CREATE UNIQUE INDEX ux_email_addresses_email_normalized ON email_addresses (email_normalized);
CREATE INDEX ix_email_addresses_user_id ON email_addresses (user_id);
CREATE UNIQUE INDEX ux_email_addresses_one_primary ON email_addresses (user_id) WHERE is_primary;
CREATE UNIQUE INDEX ux_sessions_token_hash ON sessions (token_hash);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);
CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);

SELECT setval(pg_get_serial_sequence('users', 'id'), :users);
SELECT setval(pg_get_serial_sequence('email_addresses', 'id'), :users);
SELECT setval(pg_get_serial_sequence('sessions', 'id'), :sessions);
COMMIT;
ANALYZE users;
ANALYZE email_addresses;
ANALYZE sessions;
