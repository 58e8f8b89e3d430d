-- 0014_docs: digital documents (internal/docs). A document's content is never stored
-- (DC-7): a share keeps only the hashes of its QR token and short code, and a view
-- keeps who saw which document type of whom, when, and the signed "digital
-- information" record (DC-8), which names the type and the parties but no field.

CREATE TABLE docs_shares (
    id           TEXT     NOT NULL PRIMARY KEY,     -- "s_" + random, the share's name in URLs and records
    owner        TEXT     NOT NULL,                 -- "citizen:<id>"
    owner_iin    TEXT     NOT NULL,                 -- to ask the reference source when the share is redeemed
    kind         TEXT     NOT NULL,
    version      INTEGER  NOT NULL,
    token_hash   {{blob}} NOT NULL UNIQUE,          -- SHA-256 of the QR code's 128-bit token
    code_hash    {{blob}} NOT NULL,                 -- SHA-256 of the short code
    state        TEXT     NOT NULL,                 -- open | cancelled | expired
    verifier     TEXT     NOT NULL DEFAULT '',      -- the one verifier, once it redeemed the share
    created_at   BIGINT   NOT NULL,
    expires_at   BIGINT   NOT NULL,
    used_at      BIGINT   NOT NULL DEFAULT 0,
    cancelled_at BIGINT   NOT NULL DEFAULT 0
);

-- A short code is unique among open shares; an expired share leaves the set when the
-- next share with its code is opened (its state becomes 'expired' first).
CREATE UNIQUE INDEX docs_shares_live_code ON docs_shares (code_hash) WHERE state = 'open';
CREATE INDEX docs_shares_owner ON docs_shares (owner, created_at);

CREATE TABLE docs_views (
    id            TEXT    NOT NULL PRIMARY KEY,     -- "v_" + random; the record's jti
    share_id      TEXT    NOT NULL REFERENCES docs_shares (id),
    owner         TEXT    NOT NULL,
    verifier      TEXT    NOT NULL,                 -- "citizen:<id>" or "org:<BIN>"
    verifier_kind TEXT    NOT NULL,                 -- citizen | employee | system
    verifier_bin  TEXT    NOT NULL DEFAULT '',
    verifier_name TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    viewed_at     BIGINT  NOT NULL,
    event_id      BIGINT  NOT NULL,
    record        TEXT    NOT NULL                  -- the signed record (compact JWS)
);

CREATE INDEX docs_views_owner ON docs_views (owner, viewed_at);
CREATE INDEX docs_views_verifier ON docs_views (verifier, viewed_at);
