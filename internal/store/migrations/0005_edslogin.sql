-- 0005_edslogin: challenges a citizen signs with their EDS key to log in to the
-- cabinet. The browser holds a random token; the database only its SHA-256.

CREATE TABLE eds_challenges (
    id         TEXT   NOT NULL PRIMARY KEY,   -- hex SHA-256 of the browser's token
    challenge  TEXT   NOT NULL,               -- the exact text to be signed
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX eds_challenges_expires ON eds_challenges (expires_at);
