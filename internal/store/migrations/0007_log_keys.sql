-- 0007_log_keys: the tamper-evident log's signing keys live in the database, so every
-- node of a deployment signs with the same key (internal/auditlog, keys.go). The private
-- key is sealed with AES-256-GCM under the key-encryption key from configuration
-- (internal/keyring); the database alone does not give it away.

CREATE TABLE auditlog_keys (
    seq        INTEGER  NOT NULL PRIMARY KEY,  -- 1 = the first key; a rotation adds the next
    vkey       TEXT     NOT NULL UNIQUE,       -- public note verifier key "<origin>+<hash>+<data>"
    sealed     {{blob}} NOT NULL,              -- the Ed25519 seed, sealed for ("auditlog.key", vkey)
    created_at BIGINT   NOT NULL,
    retired_at BIGINT   NOT NULL DEFAULT 0     -- > 0: no longer signs; still verifies old checkpoints
);
