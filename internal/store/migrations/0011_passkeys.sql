-- 0011_passkeys: WebAuthn passkeys as a login method for citizens (internal/passkey).
-- A citizen's user handle is random (never the IIN): it is what the authenticator
-- stores and returns in a discoverable login. A credential row keeps what WebAuthn
-- needs to verify the next assertion (public key, signature counter, flags) as the
-- library's JSON; removal is a soft delete so the history keeps the row.

CREATE TABLE passkey_users (
    citizen_id BIGINT NOT NULL PRIMARY KEY,
    handle     {{blob}} NOT NULL UNIQUE
);

CREATE TABLE passkey_credentials (
    id           TEXT    NOT NULL PRIMARY KEY,    -- the credential id, base64url
    citizen_id   BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    credential   TEXT    NOT NULL,                -- JSON of the verified credential
    created_at   BIGINT  NOT NULL,
    last_used_at BIGINT  NOT NULL DEFAULT 0,
    removed_at   BIGINT  NOT NULL DEFAULT 0
);

CREATE INDEX passkey_credentials_citizen ON passkey_credentials (citizen_id);

-- One row per ceremony in progress, looked up by the hash of its token and deleted
-- when it is finished (single use) or has expired.
CREATE TABLE passkey_ceremonies (
    id         TEXT    NOT NULL PRIMARY KEY,      -- secret.Hash of the token
    kind       TEXT    NOT NULL,                  -- register | login
    citizen_id BIGINT  NOT NULL DEFAULT 0,        -- the registering citizen; 0 for a login
    session    TEXT    NOT NULL,                  -- JSON of webauthn.SessionData
    expires_at BIGINT  NOT NULL
);
