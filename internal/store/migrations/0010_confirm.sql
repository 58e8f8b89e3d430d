-- 0010_confirm: confirmation requests (internal/confirm). A relying party asks a citizen
-- to confirm a transaction; the policy decides whether an EDS or a push confirmation is
-- needed (rules DC-3, DC-4) and the decision is kept with the policy version that made
-- it. The citizen is named by the opaque subject reference, never by IIN. The exact text
-- in Kazakh and Russian is kept so that what was confirmed can be shown and checked
-- later (rule DC-5): a push's evidence commits to its SHA-256, an EDS's CMS signs it.

CREATE TABLE confirm_requests (
    id             TEXT    NOT NULL PRIMARY KEY,  -- random, opaque: "c_..."
    org_bin        TEXT    NOT NULL,              -- the relying party that asked (from its certificate)
    subject        TEXT    NOT NULL,              -- "citizen:<id>"
    tx             TEXT    NOT NULL,              -- JSON: the transaction as described to the policy
    text_kk        TEXT    NOT NULL,
    text_ru        TEXT    NOT NULL,
    method         TEXT    NOT NULL,              -- eds | push
    reasons        TEXT    NOT NULL,              -- JSON: the policy's decision
    policy_version TEXT    NOT NULL,
    deadline       BIGINT  NOT NULL,
    state          TEXT    NOT NULL,              -- pending | confirmed | declined (expired is read off the deadline)
    created_at     BIGINT  NOT NULL,
    event_id       BIGINT  NOT NULL DEFAULT 0,    -- the outbox event of the decision (confirm.request.created)
    decided_at     BIGINT  NOT NULL DEFAULT 0,    -- when the citizen answered
    lang           TEXT    NOT NULL DEFAULT '',   -- the language of the text she answered
    answer_event   BIGINT  NOT NULL DEFAULT 0     -- the outbox event of her answer
);

CREATE INDEX confirm_requests_subject ON confirm_requests (subject, created_at);
CREATE INDEX confirm_requests_org ON confirm_requests (org_bin, created_at);

-- A push answer's evidence: the signed JWS over the SHA-256 of the text shown, and the
-- salt that opens its commitment to the IIN (only the citizen and the relying party
-- download it).
CREATE TABLE confirm_evidence (
    request_id   TEXT     NOT NULL PRIMARY KEY REFERENCES confirm_requests (id),
    id           TEXT     NOT NULL UNIQUE,
    auth_method  TEXT     NOT NULL,
    session_ref  TEXT     NOT NULL,
    iin_salt     {{blob}} NOT NULL,
    jws          TEXT     NOT NULL
);

-- An EDS answer: the CMS exactly as signed, kept with its hash so the agreement's
-- content stays verifiable (rules DC-5, DC-6). To move into the archive (issue 14).
CREATE TABLE confirm_signatures (
    request_id    TEXT     NOT NULL PRIMARY KEY REFERENCES confirm_requests (id),
    cms           {{blob}} NOT NULL,
    cms_sha256    TEXT     NOT NULL,
    text_sha256   TEXT     NOT NULL,
    signer_serial TEXT     NOT NULL,
    signed_at     BIGINT   NOT NULL,             -- the time-stamp's genTime
    tsa           TEXT     NOT NULL
);
