-- 0008_keyring_blobs: secret files that every node of a deployment shares, sealed with
-- AES-256-GCM under the key-encryption key from configuration (internal/keyring, Store).
-- The sandbox keeps its CA's authority keys and its demo PKCS#12 keys here, so several
-- sandbox nodes on one database trust each other's demo keys.

CREATE TABLE keyring_blobs (
    purpose    TEXT     NOT NULL,           -- e.g. "sandbox.ca", "sandbox.key"
    name       TEXT     NOT NULL,
    sealed     {{blob}} NOT NULL,           -- sealed for (purpose, name)
    created_at BIGINT   NOT NULL,
    PRIMARY KEY (purpose, name)
);
