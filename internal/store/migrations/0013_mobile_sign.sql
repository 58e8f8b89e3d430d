-- 0013_mobile_sign: signing with eGov Mobile by QR code (internal/mobilesign). A page
-- asks for a signature; the phone reads the mobileSign: link (API-1), fetches the
-- document with the token API-1 gave it (API-2) and sends the signature back with PUT.
-- The page watches the request with a token of its own. Every token is kept only as its
-- SHA-256; rows are deleted once expired.

CREATE TABLE mobile_signs (
    id          TEXT     NOT NULL PRIMARY KEY, -- hex SHA-256 of the link's token
    watch       TEXT     NOT NULL UNIQUE,      -- hex SHA-256 of the page's token
    auth        TEXT     NOT NULL,             -- hex SHA-256 of API-2's token; '' until API-1
    state       TEXT     NOT NULL,             -- offered | opened | signed | taken
    method      TEXT     NOT NULL,             -- CMS_WITH_DATA | CMS_SIGN_ONLY
    description TEXT     NOT NULL,             -- JSON {"kk":…, "ru":…, "en":…}
    document    {{blob}} NOT NULL,             -- exactly what is signed
    expect_iin  TEXT     NOT NULL,             -- the signer the page expects, or ''
    cms         {{blob}},                      -- the accepted signature (state signed)
    refusal     TEXT     NOT NULL,             -- code of the last refused PUT, or ''
    expires_at  BIGINT   NOT NULL,
    created_at  BIGINT   NOT NULL
);

CREATE INDEX mobile_signs_expires ON mobile_signs (expires_at);
