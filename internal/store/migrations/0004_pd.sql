-- 0004_pd: personal-data access control (internal/pd).
-- Subjects are named by their opaque reference ("citizen:<id>"), never by IIN: the IIN
-- lives only in citizens. Lists (data sets, BINs, methods) are JSON arrays in TEXT.

-- Directories kept by the authorized body.
CREATE TABLE pd_data_owners (
    bin               TEXT    NOT NULL PRIMARY KEY,
    name              TEXT    NOT NULL,
    data_sets         TEXT    NOT NULL,            -- [{"code":..., "title":...}]
    sender_constraint INTEGER NOT NULL DEFAULT 1,  -- 0: a government bus ends TLS before the owner
    updated_by        TEXT    NOT NULL,
    updated_at        BIGINT  NOT NULL
);

CREATE TABLE pd_service_codes (
    code            TEXT    NOT NULL PRIMARY KEY,
    title           TEXT    NOT NULL,
    owner_bin       TEXT    NOT NULL,
    data_sets       TEXT    NOT NULL,   -- the data sets the service may ask for
    bins            TEXT    NOT NULL,   -- the initiators' BINs allowed to use the code
    consent_methods TEXT    NOT NULL,   -- subset of ["biometric","eds","paper"]
    access_methods  TEXT    NOT NULL,   -- ways of access allowed, e.g. ["api","shep"]
    period_seconds  BIGINT  NOT NULL,   -- the period of the proactive service
    active          INTEGER NOT NULL DEFAULT 1,
    updated_by      TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE pd_grounds (
    code          TEXT    NOT NULL PRIMARY KEY,
    title_kk      TEXT    NOT NULL,
    title_ru      TEXT    NOT NULL,
    title_en      TEXT    NOT NULL,
    legal_ref     TEXT    NOT NULL,
    notify        TEXT    NOT NULL,            -- now | until | period
    notify_until  BIGINT  NOT NULL DEFAULT 0,  -- notify = until: the date
    notify_period BIGINT  NOT NULL DEFAULT 0,  -- notify = period: seconds of secrecy after the access
    active        INTEGER NOT NULL DEFAULT 1,
    updated_by    TEXT    NOT NULL,
    updated_at    BIGINT  NOT NULL
);

-- Protocol mode: which ground codes a BIN may use.
CREATE TABLE pd_protocol_permissions (
    bin         TEXT   NOT NULL,
    ground_code TEXT   NOT NULL,
    updated_by  TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (bin, ground_code)
);

-- TR-1: the registry of trusted digital objects, and its history.
CREATE TABLE pd_trusted_objects (
    id           TEXT   NOT NULL PRIMARY KEY,
    kind         TEXT   NOT NULL,           -- platform | messenger | information_system
    owner_bin    TEXT   NOT NULL,
    name         TEXT   NOT NULL,
    version      TEXT   NOT NULL DEFAULT '',
    cert_number  TEXT   NOT NULL DEFAULT '', -- certificate of compliance
    cert_date    BIGINT NOT NULL DEFAULT 0,
    cert_expires BIGINT NOT NULL DEFAULT 0,
    thumbprints  TEXT   NOT NULL DEFAULT '[]', -- x5t#S256 of the system's EDS certificates; [] = any of owner_bin
    status       TEXT   NOT NULL,           -- trusted | suspended | revoked
    updated_by   TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE INDEX pd_trusted_objects_owner ON pd_trusted_objects (owner_bin);

CREATE TABLE pd_trusted_object_history (
    id        {{id}},
    object_id TEXT   NOT NULL,
    state     TEXT   NOT NULL,  -- the object as it became (JSON)
    actor     TEXT   NOT NULL,
    at        BIGINT NOT NULL
);

CREATE INDEX pd_trusted_object_history_object ON pd_trusted_object_history (object_id, id);

-- Settings of the service: the TR-2 switch, the HMAC secret of flow 3.
CREATE TABLE pd_settings (
    name       TEXT   NOT NULL PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_by TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Consents and refusals (PD-3.2, PD-3.3). decision: given | refused.
CREATE TABLE pd_consents (
    id              TEXT   NOT NULL PRIMARY KEY,
    subject         TEXT   NOT NULL,            -- citizen:<id>
    initiator_bin   TEXT   NOT NULL,
    owner_bin       TEXT   NOT NULL,
    data_sets       TEXT   NOT NULL,
    purpose         TEXT   NOT NULL,
    decision        TEXT   NOT NULL,
    method          TEXT   NOT NULL,            -- biometric | eds | paper (how it was obtained)
    channel         TEXT   NOT NULL,            -- cabinet | initiator
    evidence        TEXT   NOT NULL DEFAULT '{}', -- JSON: reference, signature digest, text digest
    acted_by        TEXT   NOT NULL,            -- citizen:<id> of the subject or of the representative
    representative  INTEGER NOT NULL DEFAULT 0, -- 1: a legal representative acted for a minor
    valid_from      BIGINT NOT NULL,
    valid_until     BIGINT NOT NULL,
    revoked_at      BIGINT NOT NULL DEFAULT 0,
    revoked_by      TEXT   NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);

CREATE INDEX pd_consents_subject ON pd_consents (subject, created_at);
CREATE INDEX pd_consents_lookup ON pd_consents (subject, initiator_bin, owner_bin, created_at);

-- Verification tokens already used (iss|jti hashed), kept until they are too old anyway.
CREATE TABLE pd_seen_tokens (
    key        TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE INDEX pd_seen_tokens_expires ON pd_seen_tokens (expires_at);

-- Security tokens issued: the subject's access history and the online revocation check.
CREATE TABLE pd_tokens (
    jti            TEXT    NOT NULL PRIMARY KEY,
    flow           TEXT    NOT NULL,            -- proactive | protocol | sms
    subject        TEXT    NOT NULL,
    initiator_bin  TEXT    NOT NULL,
    owner_bin      TEXT    NOT NULL,
    data_sets      TEXT    NOT NULL,
    purpose        TEXT    NOT NULL,
    code           TEXT    NOT NULL DEFAULT '', -- service code or ground code
    consent_id     TEXT    NOT NULL DEFAULT '',
    trusted        INTEGER NOT NULL DEFAULT 0,  -- the initiator's system is a trusted object (TR-2)
    issued_at      BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    event_id       BIGINT  NOT NULL DEFAULT 0,
    sealed_until   BIGINT  NOT NULL DEFAULT 0,  -- deferred notice: hidden from the subject until then
    notice_sent_at BIGINT  NOT NULL DEFAULT 0   -- for sealed tokens: when the deferred notice went out
);

CREATE INDEX pd_tokens_subject ON pd_tokens (subject, issued_at);
CREATE INDEX pd_tokens_sealed ON pd_tokens (sealed_until) WHERE sealed_until > 0 AND notice_sent_at = 0;
CREATE INDEX pd_tokens_consent ON pd_tokens (consent_id) WHERE consent_id <> '';

-- Flow 3: requests awaiting the subject's answer by SMS.
CREATE TABLE pd_sms_requests (
    id            TEXT     NOT NULL PRIMARY KEY,
    fingerprint   TEXT     NOT NULL,   -- hash of initiator, subject, owner, data sets, purpose
    subject       TEXT     NOT NULL,
    initiator_bin TEXT     NOT NULL,
    owner_bin     TEXT     NOT NULL,
    data_sets     TEXT     NOT NULL,
    purpose       TEXT     NOT NULL,
    thumbprint    TEXT     NOT NULL,   -- x5t#S256 of the initiator's certificate
    trusted       INTEGER  NOT NULL DEFAULT 0,
    phone_mac     TEXT     NOT NULL,   -- HMAC of the phone number: matches replies, stores no number
    code_mac      {{blob}} NOT NULL,   -- HMAC(id, code)
    attempts      INTEGER  NOT NULL DEFAULT 0,
    status        TEXT     NOT NULL,   -- awaiting_subject_response | approved | denied | expired | locked | issued
    approved_via  TEXT     NOT NULL DEFAULT '',
    token_jti     TEXT     NOT NULL DEFAULT '',
    created_at    BIGINT   NOT NULL,
    expires_at    BIGINT   NOT NULL,
    updated_at    BIGINT   NOT NULL
);

CREATE INDEX pd_sms_requests_fingerprint ON pd_sms_requests (fingerprint, status);
CREATE INDEX pd_sms_requests_phone ON pd_sms_requests (phone_mac, status);

-- Actions data owners report on a subject's data (PD-3.4, PD-2.8-1).
CREATE TABLE pd_reports (
    id            {{id}},
    subject       TEXT    NOT NULL,
    owner_bin     TEXT    NOT NULL,
    initiator_bin TEXT    NOT NULL DEFAULT '',
    token_jti     TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,   -- access | view | change | addition | transfer | blocking | deletion
    automated     INTEGER NOT NULL,
    data_sets     TEXT    NOT NULL,
    occurred_at   BIGINT  NOT NULL,
    reported_at   BIGINT  NOT NULL,
    event_id      BIGINT  NOT NULL DEFAULT 0
);

CREATE INDEX pd_reports_subject ON pd_reports (subject, occurred_at);

-- Senim's security-token signing keys (ES256). The newest unretired key signs; retired
-- keys stay published until every token they signed has expired.
CREATE TABLE pd_signing_keys (
    kid        TEXT     NOT NULL PRIMARY KEY,
    alg        TEXT     NOT NULL,
    private    {{blob}} NOT NULL,  -- PKCS#8 DER
    created_at BIGINT   NOT NULL,
    retired_at BIGINT   NOT NULL DEFAULT 0,
    publish_until BIGINT NOT NULL DEFAULT 0
);
