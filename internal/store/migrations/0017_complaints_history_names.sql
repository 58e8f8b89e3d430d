-- 0017: citizens' complaints to the authorized body about an access to their data
-- ("this wasn't me"), the change history and soft deletion of every directory entry,
-- and names in kk/ru/en where the directories had one name only.

-- A complaint names its subject by the opaque reference ("citizen:<id>"), never by IIN,
-- and the access by the outbox event that recorded it. At most one open complaint per
-- access and subject.
CREATE TABLE pd_complaints (
    id            TEXT   NOT NULL PRIMARY KEY,
    subject       TEXT   NOT NULL,
    event_id      BIGINT NOT NULL,             -- the access complained about
    kind          TEXT   NOT NULL,             -- token | action
    initiator_bin TEXT   NOT NULL DEFAULT '',
    owner_bin     TEXT   NOT NULL DEFAULT '',
    data_sets     TEXT   NOT NULL,             -- JSON array
    access_at     BIGINT NOT NULL,
    text          TEXT   NOT NULL,             -- what the citizen wrote (may be empty)
    status        TEXT   NOT NULL,             -- filed | in_review | upheld | dismissed
    filed_at      BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE INDEX pd_complaints_subject ON pd_complaints (subject, filed_at);
CREATE INDEX pd_complaints_status ON pd_complaints (status, filed_at);
CREATE UNIQUE INDEX pd_complaints_open ON pd_complaints (subject, event_id) WHERE status IN ('filed', 'in_review');

CREATE TABLE pd_complaint_history (
    id           {{id}},
    complaint_id TEXT   NOT NULL,
    status       TEXT   NOT NULL,
    note         TEXT   NOT NULL DEFAULT '',
    actor        TEXT   NOT NULL,   -- citizen:<id> who filed it, or admin:<id>@<BIN>
    at           BIGINT NOT NULL
);

CREATE INDEX pd_complaint_history_complaint ON pd_complaint_history (complaint_id, id);

-- The change history of every directory entry: what it became (JSON), who, when, and
-- whether the change was a deletion. kind: owner | service | ground | permission | object.
CREATE TABLE pd_directory_history (
    id      {{id}},
    kind    TEXT    NOT NULL,
    entry   TEXT    NOT NULL,   -- the entry's key: BIN, code, id
    state   TEXT    NOT NULL,   -- JSON
    deleted INTEGER NOT NULL DEFAULT 0,
    actor   TEXT    NOT NULL,
    at      BIGINT  NOT NULL
);

CREATE INDEX pd_directory_history_entry ON pd_directory_history (kind, entry, id);

-- Soft deletion: a deleted data owner or trusted object stays, marked, with its history.
ALTER TABLE pd_data_owners ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE pd_trusted_objects ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;

-- Names in the cabinet's languages (JSON {"kk":…,"ru":…,"en":…}; '{}' = only the one
-- name above, used in every language): organizations, data owners, proactive services
-- and trusted digital objects. Pages, SMS, consent texts and notices pick by language.
ALTER TABLE organizations ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE pd_data_owners ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
ALTER TABLE pd_service_codes ADD COLUMN titles TEXT NOT NULL DEFAULT '{}';
ALTER TABLE pd_trusted_objects ADD COLUMN names TEXT NOT NULL DEFAULT '{}';
