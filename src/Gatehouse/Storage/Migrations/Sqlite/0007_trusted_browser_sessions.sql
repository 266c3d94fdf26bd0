-- Version 7 (SQLite): a trust names every session it was granted in or let skip MFA, not only the last one, so
-- ending any of them from the sessions page ends it (whoever holds an older session of that browser may hold its
-- trust cookie too). CASCADE from both sides: ending a trust drops its links, and a logout or an expired session
-- drops only its link, keeping the trust (what trust is for: the next login on this browser).
CREATE TABLE mfa_trusted_browser_sessions (
    trusted_browser_id INTEGER NOT NULL REFERENCES mfa_trusted_browsers (id) ON DELETE CASCADE,
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    PRIMARY KEY (trusted_browser_id, session_id)
);
CREATE INDEX ix_mfa_trusted_browser_sessions_session_id ON mfa_trusted_browser_sessions (session_id);
INSERT INTO mfa_trusted_browser_sessions (trusted_browser_id, session_id)
    SELECT id, session_id FROM mfa_trusted_browsers WHERE session_id IS NOT NULL;
DROP INDEX ix_mfa_trusted_browsers_session_id;
ALTER TABLE mfa_trusted_browsers DROP COLUMN session_id;
