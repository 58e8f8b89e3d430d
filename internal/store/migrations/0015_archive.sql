-- 0015_archive: the archive of electronic documents (internal/archive; rules DC-5, DC-6).
-- Bytes live in a blob store addressed by SHA-256 (archive_blobs here, or files);
-- rows never hold a changed copy: a document's content and signatures are written
-- once. Parties are opaque references ("citizen:<id>", "org:<BIN>"), never an IIN.

CREATE TABLE archive_blobs (
    sha256     TEXT     PRIMARY KEY,        -- lower-case hex of the SHA-256 of bytes
    bytes      {{blob}} NOT NULL,
    created_at BIGINT   NOT NULL
);

-- Evidence-record batches: one hash tree, one time-stamp, then its renewals.
CREATE TABLE archive_batches (
    id         {{id}},
    hash_alg   TEXT   NOT NULL,             -- dotted OID of the tree's hash
    created_at BIGINT NOT NULL
);

-- Archive time-stamps of a batch: seq 0 is the seal (each document keeps its own path
-- to that root), seq n > 0 renews seq n-1 (its ATS DER includes the batch's path in the
-- renewal's tree).
CREATE TABLE archive_stamps (
    batch_id      BIGINT   NOT NULL REFERENCES archive_batches (id),
    seq           INTEGER  NOT NULL,
    ats           {{blob}} NOT NULL,        -- DER ArchiveTimeStamp (RFC 4998)
    gen_time      BIGINT   NOT NULL,
    tsa_not_after BIGINT   NOT NULL,
    PRIMARY KEY (batch_id, seq)
);

CREATE TABLE archive_documents (
    id             {{id}},
    public_id      TEXT     NOT NULL UNIQUE, -- random, for URLs
    name           TEXT     NOT NULL,
    content_sha256 TEXT     NOT NULL,
    content_size   BIGINT   NOT NULL,
    owner          TEXT     NOT NULL,       -- who stored it ("citizen:<id>", "org:<BIN>")
    batch_id       BIGINT   REFERENCES archive_batches (id), -- NULL until sealed
    leaf_path      {{blob}},                -- DER reduced hash tree to the batch's root
    created_at     BIGINT   NOT NULL
);
CREATE INDEX archive_documents_unsealed ON archive_documents (id) WHERE batch_id IS NULL;

CREATE TABLE archive_signatures (
    document_id BIGINT  NOT NULL REFERENCES archive_documents (id),
    seq         INTEGER NOT NULL,
    sha256      TEXT    NOT NULL,           -- the CAdES-LT signature in the blob store
    PRIMARY KEY (document_id, seq)
);

-- Who sees a document: the owner and every signer.
CREATE TABLE archive_parties (
    document_id BIGINT NOT NULL REFERENCES archive_documents (id),
    party       TEXT   NOT NULL,
    PRIMARY KEY (document_id, party)
);
CREATE INDEX archive_parties_party ON archive_parties (party, document_id);
