-- 0009_notify: the citizen's notices (internal/notify). A notice names its addressee by
-- the opaque subject reference ("citizen:<id>"), never by IIN. An automatic notice keeps
-- the language-neutral facts of the event it comes from (names as the directories gave
-- them at the time, a legal ground's titles in every language), so the cabinet renders
-- it in whatever language the citizen reads; one notice per event (event_id UNIQUE).

CREATE TABLE notify_notices (
    id           {{id}},
    ref          TEXT    NOT NULL UNIQUE,         -- random, opaque: the notice's name in URLs and receipts
    subject      TEXT    NOT NULL,
    event_id     BIGINT  UNIQUE,                  -- the outbox event it tells of; NULL when sent through the domain API
    kind         TEXT    NOT NULL,                -- access | action | consent_given | consent_refused | consent_revoked | message
    facts        TEXT    NOT NULL,                -- JSON: what the notice says, rendered at read time
    significant  INTEGER NOT NULL DEFAULT 0,      -- 1: legally significant, read only through the acknowledgement screen
    state        TEXT    NOT NULL,                -- accepted | delivered | read
    created_at   BIGINT  NOT NULL,
    delivered_at BIGINT  NOT NULL DEFAULT 0,
    read_at      BIGINT  NOT NULL DEFAULT 0
);

CREATE INDEX notify_notices_subject ON notify_notices (subject, id);
CREATE INDEX notify_notices_unread ON notify_notices (subject) WHERE state = 'delivered';

-- The read receipt of a legally significant notice: what was shown, when, to which
-- session, and the signed receipt. The salt opens the receipt's commitment to the IIN;
-- only the addressee downloads it.
CREATE TABLE notify_receipts (
    id           TEXT     NOT NULL PRIMARY KEY,
    notice_id    BIGINT   NOT NULL UNIQUE REFERENCES notify_notices (id),
    subject      TEXT     NOT NULL,
    content_hash TEXT     NOT NULL,               -- base64url SHA-256 of the content shown
    lang         TEXT     NOT NULL,
    auth_method  TEXT     NOT NULL,
    session_ref  TEXT     NOT NULL,
    read_at      BIGINT   NOT NULL,
    iin_salt     {{blob}} NOT NULL,
    jws          TEXT     NOT NULL
);
