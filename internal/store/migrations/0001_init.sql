-- 0001_init: migration bookkeeping, the transactional outbox and idempotency keys.
-- Conventions (see the package doc): times are BIGINT Unix microseconds UTC,
-- booleans INTEGER 0/1, text TEXT, JSON TEXT; {{id}} and {{blob}} are rewritten per engine.

CREATE TABLE schema_migrations (
    version    BIGINT NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    applied_at BIGINT NOT NULL
);

-- One row per domain event, written in the transaction of the domain change.
-- Ids are handed out in commit order (see the package doc on the gap problem).
CREATE TABLE outbox_events (
    id         {{id}},
    type       TEXT   NOT NULL,
    actor      TEXT   NOT NULL,
    subject    TEXT   NOT NULL DEFAULT '',
    payload    TEXT,
    created_at BIGINT NOT NULL
);

-- The position (last event id processed) of each named consumer.
CREATE TABLE outbox_cursors (
    consumer   TEXT   NOT NULL PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Responses to POST requests that carried an Idempotency-Key.
-- status is 0 while the request that claimed the key is in its transaction.
CREATE TABLE idempotency_keys (
    scope        TEXT     NOT NULL,
    key          TEXT     NOT NULL,
    request_hash {{blob}} NOT NULL,
    status       INTEGER  NOT NULL,
    content_type TEXT     NOT NULL DEFAULT '',
    body         {{blob}},
    created_at   BIGINT   NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
