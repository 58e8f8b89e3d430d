-- 0002_identity: citizens, organizations and their information systems, and the
-- cabinet's login challenges and sessions. Tokens held by browsers are stored only as
-- SHA-256 hashes, so a copy of the database opens no session.

CREATE TABLE citizens (
    id            {{id}},
    iin           TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    lang          TEXT    NOT NULL DEFAULT 'kk',
    password_hash TEXT    NOT NULL DEFAULT '',   -- argon2id PHC string; '' = no password login
    failed_logins INTEGER NOT NULL DEFAULT 0,    -- consecutive failures since the last success
    locked_until  BIGINT  NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL
);

CREATE TABLE organizations (
    id         {{id}},
    bin        TEXT   NOT NULL UNIQUE,
    name       TEXT   NOT NULL,
    role       TEXT   NOT NULL,   -- bank, insurer, mobile_operator, state_body, regulator, ...
    created_at BIGINT NOT NULL
);

CREATE TABLE information_systems (
    id         {{id}},
    org_id     BIGINT NOT NULL REFERENCES organizations (id),
    code       TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE login_challenges (
    id         TEXT     NOT NULL PRIMARY KEY,   -- hex SHA-256 of the token in the browser's cookie
    citizen_id BIGINT   NOT NULL REFERENCES citizens (id),
    code_mac   {{blob}} NOT NULL,               -- HMAC-SHA-256(token, code)
    attempts   INTEGER  NOT NULL DEFAULT 0,
    expires_at BIGINT   NOT NULL,
    created_at BIGINT   NOT NULL
);

CREATE INDEX login_challenges_expires ON login_challenges (expires_at);

CREATE TABLE sessions (
    id         TEXT   NOT NULL PRIMARY KEY,     -- hex SHA-256 of the session cookie
    citizen_id BIGINT NOT NULL REFERENCES citizens (id),
    method     TEXT   NOT NULL,                 -- password+sms | eds | idp
    csrf       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL
);

CREATE INDEX sessions_citizen ON sessions (citizen_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
