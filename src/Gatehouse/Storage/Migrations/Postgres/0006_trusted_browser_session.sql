-- Version 6 (PostgreSQL): a trusted browser names its session, so ending that session from the sessions page
-- (DELETE auth/sessions) ends the trust too. SET NULL, not CASCADE: a logout or an expired session keeps the
-- trust (that is what trust is for: the next login on this browser); only an explicit end revokes it.
ALTER TABLE mfa_trusted_browsers ADD COLUMN session_id BIGINT NULL REFERENCES sessions (id) ON DELETE SET NULL;
CREATE INDEX ix_mfa_trusted_browsers_session_id ON mfa_trusted_browsers (session_id);
