-- 0012_notify_send: issue 9, second slice (internal/notify): the sending API for state
-- bodies, channels beyond the inbox, the delivery engine and the reminder policy.
-- Addressees stay opaque references ("citizen:<id>"); no IIN, phone or e-mail address is
-- copied into these tables except the address a citizen chose for e-mail herself.

-- A notice sent through the API names its sender, its category (a key of the policy
-- file), the read-by deadline and the policy version it was accepted under; deemed_at
-- is when the policy deemed an unread notice delivered.
ALTER TABLE notify_notices ADD COLUMN sender_bin TEXT   NOT NULL DEFAULT '';
ALTER TABLE notify_notices ADD COLUMN category   TEXT   NOT NULL DEFAULT '';
ALTER TABLE notify_notices ADD COLUMN read_by    BIGINT NOT NULL DEFAULT 0;
ALTER TABLE notify_notices ADD COLUMN policy     TEXT   NOT NULL DEFAULT '';
ALTER TABLE notify_notices ADD COLUMN deemed_at  BIGINT NOT NULL DEFAULT 0;

CREATE INDEX notify_notices_sender ON notify_notices (sender_bin, id);
-- What the escalation pass looks at: delivered, unread notices that have a policy.
CREATE INDEX notify_notices_pending ON notify_notices (state, policy, id);

-- The sender-permission directory kept by the authorized body: which organisation (BIN)
-- may send notices of which categories. An empty list withdraws the permission.
CREATE TABLE notify_senders (
    bin        TEXT   NOT NULL PRIMARY KEY,
    categories TEXT   NOT NULL,            -- JSON array of category keys
    updated_by TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A citizen's channel preferences. A missing row means the channel's default (SMS and
-- e-mail off, push on once subscribed). The inbox is always on and has no row; a legally
-- significant notice ignores "off" (it cannot be switched off).
CREATE TABLE notify_prefs (
    subject    TEXT    NOT NULL,
    channel    TEXT    NOT NULL,           -- sms | email | push
    enabled    INTEGER NOT NULL,
    address    TEXT    NOT NULL DEFAULT '', -- e-mail: the address she gave
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (subject, channel)
);

-- Web Push subscriptions (RFC 8030 endpoint, RFC 8291 keys) made by the cabinet's
-- service worker.
CREATE TABLE notify_push_subscriptions (
    id         {{id}},
    subject    TEXT   NOT NULL,
    endpoint   TEXT   NOT NULL UNIQUE,
    p256dh     TEXT   NOT NULL,            -- base64url, the browser's P-256 key (65 bytes)
    auth       TEXT   NOT NULL,            -- base64url, the 16-byte auth secret
    created_at BIGINT NOT NULL
);
CREATE INDEX notify_push_subscriptions_subject ON notify_push_subscriptions (subject);

-- The delivery engine's jobs: one row per notice, channel and purpose, never two (the
-- unique key is the de-duplication), retried with backoff until sent or dead.
CREATE TABLE notify_deliveries (
    id         {{id}},
    notice_id  BIGINT  NOT NULL REFERENCES notify_notices (id),
    channel    TEXT    NOT NULL,           -- sms | email | push
    purpose    TEXT    NOT NULL,           -- notice | reminder | fallback
    state      TEXT    NOT NULL,           -- pending | sending | sent | skipped | dead
    attempts   INTEGER NOT NULL DEFAULT 0,
    next_at    BIGINT  NOT NULL,           -- pending: when due; sending: when the lease ends
    last_error TEXT    NOT NULL DEFAULT '', -- a code, never personal data
    created_at BIGINT  NOT NULL,
    done_at    BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (notice_id, channel, purpose)
);
CREATE INDEX notify_deliveries_due ON notify_deliveries (state, next_at);
