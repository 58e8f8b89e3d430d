-- 0003_auditlog: the tamper-evident Merkle log (internal/auditlog).
-- Leaves hold commitments, never personal data; the salts that open them live in
-- auditlog_entries and can be erased without touching the tree.

-- The log's one state row (id = 1), written in the transaction that integrates a batch.
CREATE TABLE auditlog_state (
    id            INTEGER  NOT NULL PRIMARY KEY,
    tree_size     BIGINT   NOT NULL,
    last_event_id BIGINT   NOT NULL,          -- newest outbox event integrated
    compact_range {{blob}} NOT NULL,          -- hashes of the perfect subtrees of [0, tree_size)
    updated_at    BIGINT   NOT NULL
);

-- C2SP tlog-tiles: level 0..63 are hash tiles, level -1 entry bundles. One row per tile
-- holds its newest content; a partial tile of width w is a prefix of it.
CREATE TABLE auditlog_tiles (
    level INTEGER  NOT NULL,
    idx   BIGINT   NOT NULL,
    width INTEGER  NOT NULL,                  -- 1..256
    data  {{blob}} NOT NULL,
    PRIMARY KEY (level, idx)
);

-- One row per leaf: which event it logs, the per-subject index and the opening salt.
CREATE TABLE auditlog_entries (
    idx          BIGINT   NOT NULL PRIMARY KEY,
    event_id     BIGINT   NOT NULL UNIQUE,
    hash_key     BIGINT   NOT NULL,          -- the leaf hash's first 8 bytes (big-endian, signed), for lookups
    subject      TEXT     NOT NULL DEFAULT '',
    salt         {{blob}},                    -- NULL once erased: the leaf stays, it can no longer be opened
    sealed_until BIGINT   NOT NULL DEFAULT 0  -- > 0: a sealed leaf, hidden from its subject until then
);

CREATE INDEX auditlog_entries_hash_key ON auditlog_entries (hash_key);
CREATE INDEX auditlog_entries_subject ON auditlog_entries (subject, idx) WHERE subject <> '';

-- Every signed checkpoint (one per integrated batch) and the witness cosignatures it got.
CREATE TABLE auditlog_checkpoints (
    tree_size  BIGINT  NOT NULL PRIMARY KEY,
    note       TEXT    NOT NULL,             -- the checkpoint signed by the log
    cosigs     TEXT    NOT NULL DEFAULT '',  -- accepted witness signature lines
    cosigners  INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL
);
