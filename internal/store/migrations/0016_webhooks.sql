-- 0016_webhooks: signed webhooks to organisations (internal/webhook). A subscription is
-- an organisation's HTTPS endpoint and the event types it wants; a delivery is one
-- event for one subscription, sent at least once: (subscription_id, event_id) is
-- unique, so an outbox event consumed twice makes one delivery, and the receiver
-- drops a repeat by the event id it sees in every attempt.

CREATE TABLE webhook_subscriptions (
    id          TEXT   NOT NULL PRIMARY KEY,      -- wh_<random>
    org_bin     TEXT   NOT NULL,
    url         TEXT   NOT NULL,
    events      TEXT   NOT NULL,                  -- JSON array of event types
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX webhook_subscriptions_org ON webhook_subscriptions (org_bin);

CREATE TABLE webhook_deliveries (
    id              {{id}},
    subscription_id TEXT    NOT NULL REFERENCES webhook_subscriptions (id),
    event_id        TEXT    NOT NULL,             -- the dedup id the receiver sees (jti)
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,             -- JSON: the event's data, signed at each attempt
    state           TEXT    NOT NULL,             -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         BIGINT  NOT NULL,             -- due time of the next attempt (a claim's lease while sending)
    last_status     INTEGER NOT NULL DEFAULT 0,   -- HTTP status of the last attempt, 0 when none came
    last_error      TEXT    NOT NULL DEFAULT '',  -- why the last attempt failed, without the body
    created_at      BIGINT  NOT NULL,
    delivered_at    BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (subscription_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_at);

-- An initiator lists the consents it holds (GET /v1/pd/consents), newest first.
CREATE INDEX pd_consents_initiator ON pd_consents (initiator_bin, created_at, id);
